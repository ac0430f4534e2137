/*
 * svg.c
 *	  timeline_svg(): one enterprise's credit history as a self-contained SVG picture, for the
 *	  "graphical display" the seed case asks for: each sanction a band (violation established ->
 *	  listed -> removed), each guarded grant a marker (red when a finding flags it), a year axis.
 *
 * The picture is plain SVG 1.1 with no external references (no fonts, scripts or stylesheets
 * fetched), so a dashboard can inline it or save it as a file.  Chinese names render through a
 * font-family list with CJK fallbacks.  Every text node and attribute value goes through
 * ca_svg_escape(): XML metacharacters become entities and characters XML 1.0 forbids are
 * replaced, so whatever a department typed into a name the document stays well-formed.
 *
 * Data comes through SPI (read-only, the caller's snapshot and privileges): the enterprise, its
 * sanctions, and its grants from every guarded table (credit_audit.guarded_grants(u)) joined with
 * its findings — a grant whose row is gone but whose finding remains is still drawn.
 */
#include "credit_audit.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

PG_FUNCTION_INFO_V1(ca_timeline_svg);

/* Geometry, in SVG user units (pixels). */
#define SVG_WIDTH		960
#define SVG_MARGIN_L	40
#define SVG_MARGIN_R	40
#define SVG_TOP			84		/* first band's label baseline */
#define SVG_BAND_STEP	40		/* vertical distance between bands */
#define SVG_BAND_H		14
#define SVG_LANES		3		/* sub-lanes for grant markers close in time */
#define SVG_LANE_STEP	16
#define SVG_MARKER_GAP	14.0	/* minimum horizontal distance of markers in one lane */

#define SVG_FONT "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Hiragino Sans GB'," \
	"'Microsoft YaHei','WenQuanYi Micro Hei','Noto Sans',Arial,sans-serif"

#define COLOR_FACT		"#f2a65a"	/* violation established, not yet listed */
#define COLOR_LISTED	"#c0392b"	/* on the list */
#define COLOR_REVOKED	"#bdbdbd"	/* a listing that was wrong */
#define COLOR_FLAGGED	"#d62728"
#define COLOR_GRANT		"#2b7bba"
#define COLOR_AXIS		"#555555"

typedef struct SvgBand
{
	char	   *department;		/* name, or code when the department is unknown */
	char	   *category;
	char	   *severity;
	char	   *removal_reason; /* NULL while listed */
	DateADT		fact_date;
	DateADT		listed_on;
	DateADT		removed_on;		/* DATEVAL_NOEND while listed */
} SvgBand;

typedef struct SvgGrant
{
	char	   *source_table;
	char	   *source_key;
	char	   *program;
	DateADT		grant_date;
	char	   *amount;
	char	   *kinds;			/* kinds of the findings that are not dismissed; NULL = not flagged */
} SvgGrant;

static SPIPlanPtr ca_svg_plan_enterprise = NULL;
static SPIPlanPtr ca_svg_plan_sanctions = NULL;
static SPIPlanPtr ca_svg_plan_grants = NULL;

/*
 * Query texts are re-parsed when the search_path changes, so every operator is spelled with its
 * schema — NULLIF and IN are avoided, they look "=" up by name.
 */
static const char *const ca_svg_query_enterprise =
"SELECT e.name FROM credit_audit.enterprise e "
"WHERE e.uscc OPERATOR(credit_audit.=) $1::credit_audit.uscc";

static const char *const ca_svg_query_sanctions =
"SELECT CASE WHEN d.name IS NULL OR d.name OPERATOR(pg_catalog.=) '' THEN s.department"
"            ELSE d.name END, s.category, s.severity::pg_catalog.text, "
"       s.removal_reason, s.fact_date, s.listed_on, s.removed_on "
"  FROM credit_audit.sanction s "
"  LEFT JOIN credit_audit.department d ON d.code OPERATOR(pg_catalog.=) s.department "
" WHERE s.uscc OPERATOR(credit_audit.=) $1::credit_audit.uscc "
" ORDER BY s.listed_on, s.fact_date, s.id";

static const char *const ca_svg_query_grants =
"WITH g AS ("
"  SELECT g.source_table, g.source_key, g.program, g.grant_date, g.amount "
"    FROM credit_audit.guarded_grants($1::credit_audit.uscc) g"
"), f AS ("
"  SELECT f.source_table, f.source_key, pg_catalog.max(f.program) AS program,"
"         pg_catalog.max(f.grant_date) AS grant_date, pg_catalog.max(f.amount) AS amount,"
"         pg_catalog.string_agg(DISTINCT f.kind, ', ')"
"           FILTER (WHERE f.status OPERATOR(pg_catalog.<>) 'dismissed') AS kinds"
"    FROM credit_audit.finding f"
"   WHERE f.uscc OPERATOR(credit_audit.=) $1::credit_audit.uscc"
"   GROUP BY f.source_table, f.source_key"
") "
"SELECT COALESCE(g.source_table, f.source_table), COALESCE(g.source_key, f.source_key),"
"       COALESCE(p.name, g.program, f.program), COALESCE(g.grant_date, f.grant_date),"
"       COALESCE(g.amount, f.amount)::pg_catalog.text, f.kinds"
"  FROM g FULL JOIN f ON f.source_table OPERATOR(pg_catalog.=) g.source_table"
"                    AND f.source_key OPERATOR(pg_catalog.=) g.source_key"
"  LEFT JOIN credit_audit.program p"
"         ON p.code OPERATOR(pg_catalog.=) COALESCE(g.program, f.program)"
" ORDER BY 4, 1, 2";

/* Append s XML-escaped (for text nodes and double-quoted attribute values alike). */
static void
ca_svg_escape(StringInfo buf, const char *s)
{
	if (s == NULL)
		return;
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
	{
		switch (*p)
		{
			case '&':
				appendStringInfoString(buf, "&amp;");
				break;
			case '<':
				appendStringInfoString(buf, "&lt;");
				break;
			case '>':
				appendStringInfoString(buf, "&gt;");
				break;
			case '"':
				appendStringInfoString(buf, "&quot;");
				break;
			case '\'':
				appendStringInfoString(buf, "&apos;");
				break;
			case '\t':
			case '\n':
			case '\r':
				appendStringInfoChar(buf, ' ');
				break;
			default:
				if (*p < 0x20 || *p == 0x7f)
					appendStringInfoString(buf, "&#65533;");	/* U+FFFD: XML 1.0 forbids it */
				else
					appendStringInfoChar(buf, (char) *p);
		}
	}
}

static void
ca_svg_date(char *out, size_t len, DateADT d)
{
	int			y,
				m,
				dd;

	if (DATE_NOT_FINITE(d))
	{
		strlcpy(out, DATE_IS_NOBEGIN(d) ? "-infinity" : "infinity", len);
		return;
	}
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
	snprintf(out, len, "%04d-%02d-%02d", y, m, dd);
}

static int
ca_svg_year(DateADT d)
{
	int			y,
				m,
				dd;

	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
	return y;
}

static DateADT
ca_svg_jan1(int year)
{
	return date2j(year, 1, 1) - POSTGRES_EPOCH_JDATE;
}

/* "1234567.50" -> "1,234,567.50"; anything unexpected is returned unchanged. */
static void
ca_svg_amount(StringInfo buf, const char *amount)
{
	const char *dot;
	const char *digits = amount;
	int			n;

	if (amount == NULL)
		return;
	if (*digits == '-')
		digits++;
	dot = strchr(digits, '.');
	n = dot ? (int) (dot - digits) : (int) strlen(digits);
	for (int i = 0; i < n; i++)
		if (digits[i] < '0' || digits[i] > '9')
		{
			ca_svg_escape(buf, amount);
			return;
		}
	if (digits != amount)
		appendStringInfoChar(buf, '-');
	for (int i = 0; i < n; i++)
	{
		if (i > 0 && (n - i) % 3 == 0)
			appendStringInfoChar(buf, ',');
		appendStringInfoChar(buf, digits[i]);
	}
	if (dot)
		ca_svg_escape(buf, dot);
}

static SPIPlanPtr
ca_svg_prepare(SPIPlanPtr *cache, const char *query)
{
	if (*cache == NULL)
	{
		Oid			argtypes[1] = {TEXTOID};
		SPIPlanPtr	plan = SPI_prepare(query, 1, argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*cache = plan;
	}
	return *cache;
}

static void
ca_svg_run(SPIPlanPtr *cache, const char *query, Datum code)
{
	Datum		values[1] = {code};
	int			rc = SPI_execute_plan(ca_svg_prepare(cache, query), values, NULL, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
}

static DateADT
ca_svg_getdate(HeapTuple tup, TupleDesc desc, int col, bool *isnull)
{
	return DatumGetDateADT(SPI_getbinval(tup, desc, col, isnull));
}

Datum
ca_timeline_svg(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);
	char		code[USCC_LEN + 1];
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext oldcxt;
	char	   *name = NULL;
	SvgBand    *bands = NULL;
	SvgGrant   *grants = NULL;
	int			nbands = 0,
				ngrants = 0,
				nflagged = 0;
	int			rc;
	DateADT		today = GetSQLCurrentDate();
	DateADT		lo = DATEVAL_NOEND,
				hi = DATEVAL_NOBEGIN;
	bool		any_open = false;
	int			first_year,
				last_year;
	double		x0,
				x1,
				span;
	int			height,
				lane_y,
				axis_y;
	double		lane_last[SVG_LANES];
	StringInfoData buf;
	char		d1[16],
				d2[16],
				d3[16];

	ca_uscc_to_cstring(u, code);

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));

	/* the enterprise */
	ca_svg_run(&ca_svg_plan_enterprise, ca_svg_query_enterprise, CStringGetTextDatum(code));
	if (SPI_processed > 0)
	{
		oldcxt = MemoryContextSwitchTo(outer);
		name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		MemoryContextSwitchTo(oldcxt);
	}

	/* its sanctions */
	ca_svg_run(&ca_svg_plan_sanctions, ca_svg_query_sanctions, CStringGetTextDatum(code));
	nbands = (int) SPI_processed;
	if (nbands > 0)
	{
		oldcxt = MemoryContextSwitchTo(outer);
		bands = palloc0(sizeof(SvgBand) * nbands);
		for (int i = 0; i < nbands; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			SvgBand    *b = &bands[i];

			b->department = SPI_getvalue(tup, desc, 1);
			b->category = SPI_getvalue(tup, desc, 2);
			b->severity = SPI_getvalue(tup, desc, 3);
			b->removal_reason = SPI_getvalue(tup, desc, 4);
			b->fact_date = ca_svg_getdate(tup, desc, 5, &isnull);
			b->listed_on = ca_svg_getdate(tup, desc, 6, &isnull);
			b->removed_on = ca_svg_getdate(tup, desc, 7, &isnull);
			if (isnull)
				b->removed_on = DATEVAL_NOEND;
		}
		MemoryContextSwitchTo(oldcxt);
	}

	/* its grants, from every guarded table and from the findings */
	ca_svg_run(&ca_svg_plan_grants, ca_svg_query_grants, CStringGetTextDatum(code));
	oldcxt = MemoryContextSwitchTo(outer);
	grants = palloc0(sizeof(SvgGrant) * (SPI_processed + 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		SvgGrant   *g = &grants[ngrants];

		g->grant_date = ca_svg_getdate(tup, desc, 4, &isnull);
		if (isnull || DATE_NOT_FINITE(g->grant_date))
			continue;			/* a grant without a date has no place on a timeline */
		g->source_table = SPI_getvalue(tup, desc, 1);
		g->source_key = SPI_getvalue(tup, desc, 2);
		g->program = SPI_getvalue(tup, desc, 3);
		g->amount = SPI_getvalue(tup, desc, 5);
		g->kinds = SPI_getvalue(tup, desc, 6);
		if (g->kinds)
			nflagged++;
		ngrants++;
	}
	MemoryContextSwitchTo(oldcxt);

	if ((rc = SPI_finish()) != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));

	/* time range: whole years around every date shown; open listings run to today */
	for (int i = 0; i < nbands; i++)
	{
		SvgBand    *b = &bands[i];

		if (!DATE_NOT_FINITE(b->fact_date))
			lo = Min(lo, b->fact_date);
		if (!DATE_NOT_FINITE(b->listed_on))
			hi = Max(hi, b->listed_on);
		if (DATE_NOT_FINITE(b->removed_on))
			any_open = true;
		else
			hi = Max(hi, b->removed_on);
	}
	for (int i = 0; i < ngrants; i++)
	{
		lo = Min(lo, grants[i].grant_date);
		hi = Max(hi, grants[i].grant_date);
	}
	if (any_open || DATE_NOT_FINITE(lo))
		hi = Max(hi, today);
	if (DATE_NOT_FINITE(lo))
		lo = Min(hi, today);
	first_year = ca_svg_year(lo);
	last_year = ca_svg_year(hi) + 1;
	x0 = SVG_MARGIN_L;
	x1 = SVG_WIDTH - SVG_MARGIN_R;
	span = (double) (ca_svg_jan1(last_year) - ca_svg_jan1(first_year));

#define XPOS(d) (x0 + (x1 - x0) * ((double) ((d) - ca_svg_jan1(first_year)) / span))

	lane_y = SVG_TOP + nbands * SVG_BAND_STEP + 14;
	axis_y = lane_y + SVG_LANES * SVG_LANE_STEP + 6;
	height = axis_y + 70;

	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
					 "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
					 "font-family=\"%s\" font-size=\"12\">\n",
					 SVG_WIDTH, height, SVG_WIDTH, height, SVG_FONT);
	appendStringInfoString(&buf, "<title>");
	ca_svg_escape(&buf, name && *name ? name : code);
	appendStringInfoString(&buf, " &#8212; credit timeline</title>\n");
	appendStringInfo(&buf, "<rect class=\"background\" x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n",
					 SVG_WIDTH, height);

	/* heading */
	appendStringInfo(&buf, "<text class=\"name\" x=\"%d\" y=\"28\" font-size=\"18\" font-weight=\"bold\">",
					 SVG_MARGIN_L);
	ca_svg_escape(&buf, name && *name ? name : code);
	appendStringInfoString(&buf, "</text>\n");
	appendStringInfo(&buf, "<text class=\"subtitle\" x=\"%d\" y=\"50\" fill=\"%s\">", SVG_MARGIN_L, COLOR_AXIS);
	ca_svg_escape(&buf, code);
	appendStringInfo(&buf, " &#183; %d listing%s &#183; %d grant%s, %d flagged</text>\n",
					 nbands, nbands == 1 ? "" : "s", ngrants, ngrants == 1 ? "" : "s", nflagged);

	/* year grid */
	for (int y = first_year; y <= last_year; y++)
	{
		double		x = XPOS(ca_svg_jan1(y));

		appendStringInfo(&buf, "<line class=\"grid\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eeeeee\"/>\n",
						 x, SVG_TOP - 20, x, axis_y);
	}

	/* one band per sanction */
	for (int i = 0; i < nbands; i++)
	{
		SvgBand    *b = &bands[i];
		bool		revoked = b->removal_reason && strcmp(b->removal_reason, "revoked") == 0;
		bool		open = DATE_NOT_FINITE(b->removed_on);
		DateADT		end = open ? Max(today, b->listed_on) : b->removed_on;
		int			y = SVG_TOP + i * SVG_BAND_STEP;
		double		xf = XPOS(b->fact_date),
					xl = XPOS(b->listed_on),
					xe = XPOS(end);

		ca_svg_date(d1, sizeof(d1), b->fact_date);
		ca_svg_date(d2, sizeof(d2), b->listed_on);
		ca_svg_date(d3, sizeof(d3), b->removed_on);

		appendStringInfo(&buf, "<g class=\"sanction%s\">\n<title>", revoked ? " revoked" : "");
		ca_svg_escape(&buf, b->department);
		appendStringInfoString(&buf, " &#183; ");
		ca_svg_escape(&buf, b->category);
		appendStringInfoString(&buf, " &#183; ");
		ca_svg_escape(&buf, b->severity);
		appendStringInfo(&buf, ": fact %s, listed %s, ", d1, d2);
		if (open)
			appendStringInfoString(&buf, "still listed");
		else
		{
			appendStringInfo(&buf, "removed %s (", d3);
			ca_svg_escape(&buf, b->removal_reason);
			appendStringInfoChar(&buf, ')');
		}
		appendStringInfoString(&buf, "</title>\n");

		/* labels of bands that start in the right half end at the right margin */
		if (xf > x0 + (x1 - x0) * 0.5)
			appendStringInfo(&buf, "<text class=\"label\" x=\"%.1f\" y=\"%d\" text-anchor=\"end\">",
							 x1, y - 4);
		else
			appendStringInfo(&buf, "<text class=\"label\" x=\"%.1f\" y=\"%d\">", Max(xf, x0), y - 4);
		ca_svg_escape(&buf, b->department);
		appendStringInfoString(&buf, " &#183; ");
		ca_svg_escape(&buf, b->category);
		appendStringInfoString(&buf, " (");
		ca_svg_escape(&buf, b->severity);
		appendStringInfo(&buf, ") %s &#8594; %s &#8594; ", d1, d2);
		if (open)
			appendStringInfoString(&buf, "&#8230;");
		else
		{
			appendStringInfo(&buf, "%s ", d3);
			ca_svg_escape(&buf, b->removal_reason);
		}
		appendStringInfoString(&buf, "</text>\n");

		if (xl > xf)
			appendStringInfo(&buf,
							 "<rect class=\"fact\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"%s/>\n",
							 xf, y, xl - xf, SVG_BAND_H, revoked ? COLOR_REVOKED : COLOR_FACT,
							 revoked ? " fill-opacity=\"0.5\"" : "");
		appendStringInfo(&buf,
						 "<rect class=\"listed\" x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"%s/>\n",
						 xl, y, Max(xe - xl, 1.0), SVG_BAND_H, revoked ? COLOR_REVOKED : COLOR_LISTED,
						 revoked ? " stroke=\"#888888\" stroke-dasharray=\"4 2\"" : "");
		if (open)
			appendStringInfo(&buf,
							 "<path class=\"open\" d=\"M %.1f %d l 8 %d l -8 %d z\" fill=\"%s\"/>\n",
							 xe, y, SVG_BAND_H / 2, SVG_BAND_H / 2, COLOR_LISTED);
		appendStringInfoString(&buf, "</g>\n");
	}

	/* one marker per grant; markers close in time move to the next lane */
	for (int l = 0; l < SVG_LANES; l++)
		lane_last[l] = -1e9;
	appendStringInfo(&buf, "<text class=\"lane-label\" x=\"%d\" y=\"%d\" fill=\"%s\">grants</text>\n",
					 SVG_MARGIN_L, lane_y - 10, COLOR_AXIS);
	for (int i = 0; i < ngrants; i++)
	{
		SvgGrant   *g = &grants[i];
		double		x = XPOS(g->grant_date);
		int			lane = 0;
		int			cy;

		/* the first lane with room; if none, the one whose last marker is farthest left */
		for (int l = SVG_LANES - 1; l >= 0; l--)
			if (lane_last[l] <= lane_last[lane])
				lane = l;
		for (int l = 0; l < SVG_LANES; l++)
			if (x - lane_last[l] >= SVG_MARKER_GAP)
			{
				lane = l;
				break;
			}
		lane_last[lane] = x;
		cy = lane_y + lane * SVG_LANE_STEP;
		ca_svg_date(d1, sizeof(d1), g->grant_date);

		appendStringInfo(&buf, "<g class=\"grant%s\">\n<title>", g->kinds ? " flagged" : "");
		ca_svg_escape(&buf, g->program);
		appendStringInfo(&buf, " &#183; %s &#183; ", d1);
		ca_svg_amount(&buf, g->amount);
		appendStringInfoString(&buf, " &#183; ");
		ca_svg_escape(&buf, g->source_table);
		appendStringInfoChar(&buf, ' ');
		ca_svg_escape(&buf, g->source_key);
		if (g->kinds)
		{
			appendStringInfoString(&buf, " &#183; flagged: ");
			ca_svg_escape(&buf, g->kinds);
		}
		appendStringInfoString(&buf, "</title>\n");
		if (g->kinds)
			appendStringInfo(&buf,
							 "<line class=\"guide\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-opacity=\"0.35\" stroke-dasharray=\"2 2\"/>\n",
							 x, SVG_TOP - 16, x, cy, COLOR_FLAGGED);
		appendStringInfo(&buf,
						 "<circle class=\"marker\" cx=\"%.1f\" cy=\"%d\" r=\"%d\" fill=\"%s\" stroke=\"#ffffff\"/>\n",
						 x, cy, g->kinds ? 6 : 5, g->kinds ? COLOR_FLAGGED : COLOR_GRANT);
		appendStringInfoString(&buf, "</g>\n");
	}

	/* year axis */
	appendStringInfo(&buf, "<g class=\"axis\" stroke=\"%s\">\n", COLOR_AXIS);
	appendStringInfo(&buf, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", x0, axis_y, x1, axis_y);
	for (int y = first_year; y <= last_year; y++)
	{
		double		x = XPOS(ca_svg_jan1(y));
		int			step = (last_year - first_year) > 30 ? 5 : 1;

		appendStringInfo(&buf, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"/>\n", x, axis_y, x, axis_y + 5);
		if (y % step == 0 || y == first_year)
			appendStringInfo(&buf,
							 "<text class=\"year\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" stroke=\"none\" fill=\"%s\">%d</text>\n",
							 x, axis_y + 18, COLOR_AXIS, y);
	}
	appendStringInfoString(&buf, "</g>\n");

	/* legend */
	{
		int			ly = axis_y + 44;

		appendStringInfo(&buf, "<g class=\"legend\" font-size=\"11\">\n");
		appendStringInfo(&buf, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>"
						 "<text x=\"%d\" y=\"%d\">violation established, not yet listed</text>\n",
						 SVG_MARGIN_L, ly - 9, COLOR_FACT, SVG_MARGIN_L + 20, ly);
		appendStringInfo(&buf, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>"
						 "<text x=\"%d\" y=\"%d\">listed</text>\n",
						 SVG_MARGIN_L + 250, ly - 9, COLOR_LISTED, SVG_MARGIN_L + 270, ly);
		appendStringInfo(&buf, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"10\" fill=\"%s\"/>"
						 "<text x=\"%d\" y=\"%d\">revoked</text>\n",
						 SVG_MARGIN_L + 340, ly - 9, COLOR_REVOKED, SVG_MARGIN_L + 360, ly);
		appendStringInfo(&buf, "<circle cx=\"%d\" cy=\"%d\" r=\"5\" fill=\"%s\"/>"
						 "<text x=\"%d\" y=\"%d\">grant</text>\n",
						 SVG_MARGIN_L + 440, ly - 4, COLOR_GRANT, SVG_MARGIN_L + 450, ly);
		appendStringInfo(&buf, "<circle cx=\"%d\" cy=\"%d\" r=\"6\" fill=\"%s\"/>"
						 "<text x=\"%d\" y=\"%d\">flagged grant</text>\n",
						 SVG_MARGIN_L + 510, ly - 4, COLOR_FLAGGED, SVG_MARGIN_L + 520, ly);
		appendStringInfoString(&buf, "</g>\n");
	}
	appendStringInfoString(&buf, "</svg>\n");

#undef XPOS

	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}
