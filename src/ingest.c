/*
 * ingest.c
 *	  Normalizers for department deliveries, used by ingest_sanctions() (src/sql/60_ingest.sql).
 *
 * Departments deliver their lists as text in their own shapes: full-width characters, stray
 * white space, severities in Chinese or English, dates as 2019年2月1日 or 20190201, codes with a
 * letter O for a zero.  Each function here turns one staging value into its canonical form, or
 * NULL when it cannot (they never raise), so that ingestion runs as a few set-based statements
 * over the whole batch and quarantines whatever does not normalize.  All are pure:
 * IMMUTABLE STRICT PARALLEL SAFE.
 *
 * USCCs are parsed by uscc_parse() (uscc_core.c), the one parser of the extension; this file only
 * adds the look-alike correction that is suggested (never applied) for an invalid code.
 *
 * Text is decoded as UTF-8 when the database encoding is UTF-8; in any other encoding only ASCII
 * is folded and other bytes are kept as they are.
 */
#include "credit_audit.h"

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"

PG_FUNCTION_INFO_V1(ca_normalize_text);
PG_FUNCTION_INFO_V1(ca_normalize_name);
PG_FUNCTION_INFO_V1(ca_normalize_code);
PG_FUNCTION_INFO_V1(ca_normalize_date);
PG_FUNCTION_INFO_V1(ca_normalize_severity);
PG_FUNCTION_INFO_V1(ca_normalize_removal_reason);
PG_FUNCTION_INFO_V1(ca_normalize_uscc);
PG_FUNCTION_INFO_V1(ca_uscc_problem);
PG_FUNCTION_INFO_V1(ca_uscc_suggestion);

/* How ca_fold() treats white space and letter case. */
typedef enum CaFoldMode
{
	CA_FOLD_TEXT,				/* trim, collapse white space to one space */
	CA_FOLD_CODE,				/* as TEXT, ASCII letters lower-cased */
	CA_FOLD_KEY					/* all white space removed, ASCII letters upper-cased */
} CaFoldMode;

/* UTF-8 byte length of the character starting with byte c (1 for invalid lead bytes). */
static inline int
ca_utf8_len(unsigned char c)
{
	if (c < 0xC0)
		return 1;
	if (c < 0xE0)
		return 2;
	if (c < 0xF0)
		return 3;
	return 4;
}

/*
 * Decode the character at s[i] (len bytes in all); returns its byte length and sets *cp.
 * Outside UTF-8 databases every byte is its own "character".
 */
static int
ca_next_char(const char *s, int len, int i, bool utf8, uint32 *cp)
{
	unsigned char c = (unsigned char) s[i];
	int			n;

	if (c < 0x80 || !utf8)
	{
		*cp = c;
		return 1;
	}
	n = ca_utf8_len(c);
	if (n == 1 || i + n > len)
	{
		*cp = 0xFFFD;			/* stray byte: kept as it is */
		return 1;
	}
	if (n == 2)
		*cp = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);
	else if (n == 3)
		*cp = ((c & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
	else
		*cp = ((c & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) |
			((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
	return n;
}

/* White space: ASCII, no-break space, the Unicode spaces, ideographic space, BOM. */
static inline bool
ca_is_space(uint32 cp)
{
	return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0xA0 || cp == 0x1680 ||
		(cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 ||
		cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/*
 * Fold s (len bytes): full-width ASCII forms (U+FF01-FF5E) to ASCII, white space trimmed and
 * collapsed (or removed, in KEY mode), ASCII case per mode.  Returns a palloc'd NUL-terminated
 * string (never longer than the input) and its length in *outlen; "" when nothing but white
 * space was given.
 */
static char *
ca_fold(const char *s, int len, CaFoldMode mode, int *outlen)
{
	bool		utf8 = (GetDatabaseEncoding() == PG_UTF8);
	char	   *out = palloc(len + 1);
	int			o = 0;
	bool		space = false;

	for (int i = 0; i < len;)
	{
		uint32		cp;
		int			n = ca_next_char(s, len, i, utf8, &cp);

		if (ca_is_space(cp))
		{
			space = true;
			i += n;
			continue;
		}
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;		/* full-width form -> ASCII */
		if (space && o > 0 && mode != CA_FOLD_KEY)
			out[o++] = ' ';
		space = false;
		if (cp < 0x80)
		{
			char		c = (char) cp;

			if (mode == CA_FOLD_CODE && c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			else if (mode == CA_FOLD_KEY && c >= 'a' && c <= 'z')
				c -= 'a' - 'A';
			out[o++] = c;
		}
		else
		{
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Fold a text argument; NULL when nothing but white space remains. */
static text *
ca_fold_text(text *t, CaFoldMode mode)
{
	int			n;
	char	   *s = ca_fold(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), mode, &n);

	if (n == 0)
		return NULL;
	return cstring_to_text_with_len(s, n);
}

Datum
ca_normalize_text(PG_FUNCTION_ARGS)
{
	text	   *r = ca_fold_text(PG_GETARG_TEXT_PP(0), CA_FOLD_TEXT);

	if (r == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(r);
}

Datum
ca_normalize_name(PG_FUNCTION_ARGS)
{
	text	   *r = ca_fold_text(PG_GETARG_TEXT_PP(0), CA_FOLD_KEY);

	if (r == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(r);
}

Datum
ca_normalize_code(PG_FUNCTION_ARGS)
{
	text	   *r = ca_fold_text(PG_GETARG_TEXT_PP(0), CA_FOLD_CODE);

	if (r == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(r);
}

/* ---- dates ---- */

static int
ca_read_digits(const char *s, int len, int *i, int maxdigits, int *value)
{
	int			n = 0;

	*value = 0;
	while (*i < len && n < maxdigits && s[*i] >= '0' && s[*i] <= '9')
	{
		*value = *value * 10 + (s[*i] - '0');
		(*i)++;
		n++;
	}
	return n;
}

static void
ca_skip_spaces(const char *s, int len, int *i)
{
	while (*i < len && s[*i] == ' ')
		(*i)++;
}

/* Does s[*i..] start with the UTF-8 string lit?  Advances *i past it if so. */
static bool
ca_match(const char *s, int len, int *i, const char *lit)
{
	int			n = strlen(lit);

	if (*i + n <= len && memcmp(s + *i, lit, n) == 0)
	{
		*i += n;
		return true;
	}
	return false;
}

#define CA_MIN_YEAR 1900
#define CA_MAX_YEAR 2999

/*
 * Parse a folded date: YYYY-M-D, YYYY/M/D, YYYY.M.D (one or two digit month and day),
 * YYYYMMDD, YYYY年M月D日 (日 optional; spaces between the parts allowed).  The date must exist
 * in the calendar, year 1900-2999.
 */
static bool
ca_parse_date(const char *s, int len, DateADT *out)
{
	int			i = 0;
	int			y,
				m,
				d,
				n;
	char		sep = 0;
	bool		cjk = false;
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	n = ca_read_digits(s, len, &i, 8, &y);
	if (n == 8)
	{
		if (i != len)
			return false;
		d = y % 100;
		m = (y / 100) % 100;
		y /= 10000;
	}
	else
	{
		if (n != 4)
			return false;
		ca_skip_spaces(s, len, &i);
		if (i < len && (s[i] == '-' || s[i] == '/' || s[i] == '.'))
			sep = s[i++];
		else if (ca_match(s, len, &i, "年"))
			cjk = true;
		else
			return false;
		ca_skip_spaces(s, len, &i);
		if (ca_read_digits(s, len, &i, 2, &m) == 0)
			return false;
		ca_skip_spaces(s, len, &i);
		if (cjk ? !ca_match(s, len, &i, "月") : (i >= len || s[i++] != sep))
			return false;
		ca_skip_spaces(s, len, &i);
		if (ca_read_digits(s, len, &i, 2, &d) == 0)
			return false;
		ca_skip_spaces(s, len, &i);
		if (cjk && ca_match(s, len, &i, "日"))
			ca_skip_spaces(s, len, &i);
		if (i != len)
			return false;
	}
	if (y < CA_MIN_YEAR || y > CA_MAX_YEAR || m < 1 || m > 12 || d < 1)
		return false;
	if (d > mdays[m - 1] + (m == 2 && isleap(y) ? 1 : 0))
		return false;
	*out = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	return true;
}

Datum
ca_normalize_date(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	int			n;
	char	   *s = ca_fold(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), CA_FOLD_TEXT, &n);
	DateADT		d;

	if (!ca_parse_date(s, n, &d))
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(d);
}

/* ---- severities and removal reasons ---- */

typedef struct CaWord
{
	const char *word;			/* folded (CA_FOLD_CODE) spelling */
	int			value;
} CaWord;

static const CaWord ca_severity_words[] = {
	{"minor", 0}, {"轻微", 0},
	{"general", 1}, {"一般", 1},
	{"serious", 2}, {"严重", 2},
};

static const char *const ca_removal_reasons[] = {"repaired", "expired", "revoked"};
static const CaWord ca_removal_words[] = {
	{"repaired", 0}, {"修复", 0}, {"信用修复", 0}, {"已修复", 0},
	{"expired", 1}, {"到期", 1}, {"期满", 1}, {"届满", 1},
	{"revoked", 2}, {"撤销", 2}, {"撤回", 2},
};

static int
ca_lookup_word(text *t, const CaWord *words, int nwords)
{
	int			n;
	char	   *s = ca_fold(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), CA_FOLD_CODE, &n);

	for (int i = 0; i < nwords; i++)
		if (strcmp(s, words[i].word) == 0)
			return words[i].value;
	return -1;
}

Datum
ca_normalize_severity(PG_FUNCTION_ARGS)
{
	int			rank = ca_lookup_word(PG_GETARG_TEXT_PP(0), ca_severity_words,
									  lengthof(ca_severity_words));

	if (rank < 0)
		PG_RETURN_NULL();
	PG_RETURN_OID(ca_severity_oid(rank));
}

Datum
ca_normalize_removal_reason(PG_FUNCTION_ARGS)
{
	int			r = ca_lookup_word(PG_GETARG_TEXT_PP(0), ca_removal_words,
								   lengthof(ca_removal_words));

	if (r < 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(ca_removal_reasons[r]));
}

/* ---- USCC ---- */

/* The code with all white space removed, full-width folded, letters upper-cased. */
static char *
ca_fold_uscc(text *t, int *len)
{
	return ca_fold(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), CA_FOLD_KEY, len);
}

Datum
ca_normalize_uscc(PG_FUNCTION_ARGS)
{
	int			n;
	char	   *s = ca_fold_uscc(PG_GETARG_TEXT_PP(0), &n);
	Uscc	   *u = palloc(sizeof(Uscc));

	if (uscc_parse(s, n, u->bytes, NULL) != USCC_OK)
		PG_RETURN_NULL();
	PG_RETURN_USCC_P(u);
}

/* Why the code does not parse, as a full sentence; NULL if it is valid. */
Datum
ca_uscc_problem(PG_FUNCTION_ARGS)
{
	int			n;
	char	   *s = ca_fold_uscc(PG_GETARG_TEXT_PP(0), &n);
	uint8_t		packed[USCC_PACKED_LEN];
	UsccError	err;
	StringInfoData buf;

	memset(&err, 0, sizeof(err));
	if (uscc_parse(s, n, packed, &err) == USCC_OK)
		PG_RETURN_NULL();
	initStringInfo(&buf);
	switch (err.status)
	{
		case USCC_ERR_EMPTY:
			appendStringInfoString(&buf, "The code is empty.");
			break;
		case USCC_ERR_LENGTH:
			appendStringInfo(&buf, "The code \"%s\" has %d characters instead of 18.",
							 s, err.length);
			break;
		case USCC_ERR_CHAR:
			if (err.digit_expected)
				appendStringInfo(&buf, "The code \"%s\" has \"%s\" at position %d, in the administrative division code (positions 3-8), which is digits only.",
								 s, err.found, err.position);
			else
				appendStringInfo(&buf, "The code \"%s\" has \"%s\" at position %d, a character that never occurs in a USCC.",
								 s, err.found, err.position);
			break;
		case USCC_ERR_CHECK:
			appendStringInfo(&buf, "The check character of \"%s\" is \"%c\" but the first 17 characters call for \"%c\".",
							 s, err.found_check, err.expected_check);
			break;
		default:
			elog(ERROR, "unexpected uscc_parse status %d", (int) err.status);
	}
	PG_RETURN_TEXT_P(cstring_to_text(buf.data));
}

/*
 * The digit (or letter) an impossible character was most likely meant as: the letters I O S V Z
 * never occur in a USCC, and positions 3-8 (the administrative division) hold digits only.
 * Valid symbols are never replaced: a code whose characters are all possible but whose check
 * character does not match has no look-alike reading that is more likely than any other.
 */
static char
ca_lookalike(char c)
{
	switch (c)
	{
		case 'O':
		case 'Q':
		case 'D':
			return '0';
		case 'I':
		case 'L':
			return '1';
		case 'Z':
			return '2';
		case 'S':
			return '5';
		case 'G':
			return '6';
		case 'T':
			return '7';
		case 'B':
			return '8';
		case 'V':
			return 'U';
		default:
			return 0;
	}
}

/* Is the character impossible at 0-based position pos (the parser's alphabet rules)? */
static bool
ca_uscc_char_invalid(char c, int pos)
{
	if (pos >= 2 && pos <= 7)
		return !(c >= '0' && c <= '9');
	return uscc_symbol_value(c) < 0;
}

/*
 * The correction suggested for an invalid code: every impossible character replaced by its
 * look-alike (O->0, I->1, Z->2, S->5, V->U; in positions 3-8 also D/Q->0, L->1, G->6, T->7,
 * B->8), returned only if that gives a valid code.  NULL when the code is valid, is not 18 ASCII
 * characters, has no impossible character (a check character mismatch), or an impossible
 * character has no look-alike.
 */
Datum
ca_uscc_suggestion(PG_FUNCTION_ARGS)
{
	int			n;
	char	   *s = ca_fold_uscc(PG_GETARG_TEXT_PP(0), &n);
	uint8_t		packed[USCC_PACKED_LEN];
	int			nreplaced = 0;

	if (n != USCC_LEN || uscc_parse(s, n, packed, NULL) == USCC_OK)
		PG_RETURN_NULL();
	for (int i = 0; i < USCC_LEN; i++)
	{
		if ((unsigned char) s[i] >= 0x80)
			PG_RETURN_NULL();
		if (ca_uscc_char_invalid(s[i], i))
		{
			char		alt = ca_lookalike(s[i]);

			if (alt == 0)
				PG_RETURN_NULL();
			s[i] = alt;
			nreplaced++;
		}
	}
	if (nreplaced == 0 || uscc_parse(s, USCC_LEN, packed, NULL) != USCC_OK)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(s, USCC_LEN));
}
