/*
 * uscc.c
 *	  The SQL type credit_audit.uscc (Unified Social Credit Code, GB 32100-2015): input/output,
 *	  binary send/receive, comparison operators and btree/hash support, casts, and the helper
 *	  functions uscc_is_valid, uscc_region, uscc_org_code, uscc_org_code_valid, uscc_check_char.
 *
 * Parsing and the check-character arithmetic live in uscc_core.c (no server headers, so the
 * same code is tested stand-alone under test/fuzz/); this file adds the SQL interface and the
 * error reports.
 *
 * Storage (see uscc_core.h): fixed length, 12 bytes, passed by reference, char alignment,
 * STORAGE plain.  The 18 symbols are 5-bit alphabet indexes packed big-endian, so:
 *	- a value is 12 bytes instead of the 22 of an 18-character text (varlena header + 18): heap
 *	  rows, the primary key and every foreign-key index of the tables are smaller;
 *	- fixed length and char alignment: no varlena header, no padding, never toasted or
 *	  compressed (STORAGE plain), no detoasting on access;
 *	- the alphabet is in ASCII order, so memcmp() of the packed bytes orders values exactly as
 *	  their canonical text: comparison, sorting and hashing are a 12-byte memcmp/hash with no
 *	  collation, and the order users see is the text order.
 * It is 12 bytes, not a 64-bit integer passed by value: 90 bits of information do not fit.
 *
 * Binary format (send/recv): the 18 canonical ASCII characters, so that a client reading the
 * binary form needs no knowledge of the packing, and the packing can change without a wire
 * format change.  recv accepts only canonical text (18 bytes, upper case, valid check).
 */
#include "credit_audit.h"

#include "catalog/pg_collation.h"
#include "common/hashfn.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/sortsupport.h"

#if PG_VERSION_NUM >= 160000
#include "nodes/miscnodes.h"
#endif

PG_FUNCTION_INFO_V1(ca_uscc_in);
PG_FUNCTION_INFO_V1(ca_uscc_out);
PG_FUNCTION_INFO_V1(ca_uscc_recv);
PG_FUNCTION_INFO_V1(ca_uscc_send);
PG_FUNCTION_INFO_V1(ca_uscc_from_text);
PG_FUNCTION_INFO_V1(ca_uscc_to_text);
PG_FUNCTION_INFO_V1(ca_uscc_eq);
PG_FUNCTION_INFO_V1(ca_uscc_ne);
PG_FUNCTION_INFO_V1(ca_uscc_lt);
PG_FUNCTION_INFO_V1(ca_uscc_le);
PG_FUNCTION_INFO_V1(ca_uscc_gt);
PG_FUNCTION_INFO_V1(ca_uscc_ge);
PG_FUNCTION_INFO_V1(ca_uscc_cmp_sql);
PG_FUNCTION_INFO_V1(ca_uscc_sortsupport);
PG_FUNCTION_INFO_V1(ca_uscc_hash);
PG_FUNCTION_INFO_V1(ca_uscc_hash_extended);
PG_FUNCTION_INFO_V1(ca_uscc_is_valid);
PG_FUNCTION_INFO_V1(ca_uscc_region);
PG_FUNCTION_INFO_V1(ca_uscc_org_code);
PG_FUNCTION_INFO_V1(ca_uscc_org_code_valid);
PG_FUNCTION_INFO_V1(ca_uscc_check_char);

/*
 * Soft errors (PostgreSQL 16+): an input function reports bad input into fcinfo->context when
 * the caller asked for it (pg_input_is_valid(), COPY ... ON_ERROR), else it raises as before.
 */
#if PG_VERSION_NUM >= 160000
#define CA_ESCONTEXT(fcinfo)	((fcinfo)->context)
#define CA_ERRSAVE(ctx, ...)	errsave(ctx, __VA_ARGS__)
#else
#define CA_ESCONTEXT(fcinfo)	((Node *) NULL)
#define CA_ERRSAVE(ctx, ...)	ereport(ERROR, __VA_ARGS__)
#endif

void
ca_uscc_to_cstring(const Uscc *u, char *buf)
{
	uscc_format(u->bytes, buf);
}

/*
 * The parser reads UTF-8.  In a database of another encoding, convert first (pure ASCII, the
 * usual case, needs nothing): full-width forms are then recognized in every encoding that
 * has them.  SQL_ASCII has no encoding to convert from: its bytes go to the parser as they
 * are (malformed UTF-8 is just invalid characters there, never an error of its own), so that
 * uscc_is_valid() cannot raise.  Returns the string to parse and sets *len.
 */
static const char *
ca_to_utf8(const char *s, size_t *len)
{
	size_t		i;
	int			enc = GetDatabaseEncoding();

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
		return s;
	for (i = 0; i < *len; i++)
	{
		if (IS_HIGHBIT_SET(s[i]))
		{
			char	   *conv = pg_server_to_any(s, (int) *len, PG_UTF8);

			if (conv != s)
				*len = strlen(conv);
			return conv;
		}
	}
	return s;
}

/*
 * How to show the offending character in a message: printable ASCII quoted as is; other
 * characters quoted with their code point (they may be invisible or look like ASCII); control
 * characters and bytes that are not UTF-8 by code point or byte value only.
 */
static char *
ca_describe_char(const char *utf8)
{
	const unsigned char *u = (const unsigned char *) utf8;
	size_t		n = strlen(utf8);

	if (n == 0)					/* NUL: not possible in text, kept safe anyway */
		return pstrdup("U+0000");
	if (n == 1 && u[0] >= 0x20 && u[0] < 0x7F)
		return psprintf("\"%s\"", utf8);
	if (n == 1 && u[0] < 0x80)
		return psprintf("U+%04X", u[0]);
	if (n == 1)
		return psprintf("0x%02X (not UTF-8)", u[0]);
	else
	{
		pg_wchar	cp = utf8_to_unicode(u);
		char	   *server = pg_any_to_server(utf8, (int) n, PG_UTF8);

		if (cp < 0xA0)			/* C1 controls */
			return psprintf("U+%04X", (unsigned int) cp);
		return psprintf("\"%s\" (U+%04X)", server, (unsigned int) cp);
	}
}

/* What was being parsed, for the error message. */
typedef enum CaParseWhat
{
	CA_PARSE_TEXT,				/* text input of a uscc (input function, casts) */
	CA_PARSE_BINARY,			/* binary input (recv) */
	CA_PARSE_BODY				/* a 17-character body (uscc_check_char) */
} CaParseWhat;

/*
 * Report why str (as given by the user) is not a USCC or a USCC body.  Raises, or with a
 * soft-error context saves the error and returns.
 */
static void
ca_report_parse_error(Node *escontext, const char *str, CaParseWhat what, const UsccError *e)
{
	int			nchars = (what == CA_PARSE_BODY) ? USCC_LEN - 1 : USCC_LEN;

#define CA_PARSE_ERRMSG() \
	(what == CA_PARSE_BODY ? errmsg("invalid uscc body: \"%s\"", str) : \
	 what == CA_PARSE_BINARY ? errmsg("invalid binary uscc value: \"%s\"", str) : \
	 errmsg("invalid input syntax for type uscc: \"%s\"", str))
#define CA_PARSE_ERRCODE() \
	errcode(what == CA_PARSE_BINARY ? ERRCODE_INVALID_BINARY_REPRESENTATION : \
			ERRCODE_INVALID_TEXT_REPRESENTATION)

	switch (e->status)
	{
		case USCC_ERR_EMPTY:
			CA_ERRSAVE(escontext,
					   (CA_PARSE_ERRCODE(),
						CA_PARSE_ERRMSG(),
						errdetail("The input is empty or white space only; %d characters are expected.",
								  nchars)));
			break;
		case USCC_ERR_LENGTH:
			CA_ERRSAVE(escontext,
					   (CA_PARSE_ERRCODE(),
						CA_PARSE_ERRMSG(),
						errdetail_plural("The input has %d character; %d are expected.",
										 "The input has %d characters; %d are expected.",
										 e->length, e->length, nchars),
						errhint("Surrounding white space is ignored; white space inside the code is not.")));
			break;
		case USCC_ERR_CHAR:
			{
				char	   *ch = ca_describe_char(e->found);

				if (e->digit_expected)
					CA_ERRSAVE(escontext,
							   (CA_PARSE_ERRCODE(),
								CA_PARSE_ERRMSG(),
								errdetail("Character %s at position %d is not a digit; positions 3 to 8 (the administrative division code) hold digits only.",
										  ch, e->position),
								e->suggestion ?
								errhint("Did you mean \"%c\"? The letters I, O, S, V and Z never occur in a USCC.",
										e->suggestion) : 0));
				else
					CA_ERRSAVE(escontext,
							   (CA_PARSE_ERRCODE(),
								CA_PARSE_ERRMSG(),
								errdetail("Character %s at position %d is not in the USCC alphabet (the digits and the letters A to Y except I, O, S and V).",
										  ch, e->position),
								e->suggestion ?
								errhint("Did you mean \"%c\"? The letters I, O, S, V and Z never occur in a USCC.",
										e->suggestion) : 0));
				break;
			}
		case USCC_ERR_CHECK:
			CA_ERRSAVE(escontext,
					   (CA_PARSE_ERRCODE(),
						CA_PARSE_ERRMSG(),
						errdetail("The check character (position 18) is \"%c\", but the first 17 characters call for \"%c\".",
								  e->found_check, e->expected_check),
						errhint("A single mistyped or swapped character is the usual cause; compare the code with its source.")));
			break;
		case USCC_OK:
			elog(ERROR, "uscc parse error reported without an error");
			break;
	}
#undef CA_PARSE_ERRMSG
#undef CA_PARSE_ERRCODE
}

/* Parse str (server encoding, NUL-terminated) into *out; false after a soft error. */
static bool
ca_uscc_parse_cstring(const char *str, Uscc *out, Node *escontext, CaParseWhat what)
{
	size_t		len = strlen(str);
	const char *utf8 = ca_to_utf8(str, &len);
	UsccError	e;

	if (uscc_parse(utf8, len, out->bytes, &e) == USCC_OK)
		return true;
	ca_report_parse_error(escontext, str, what, &e);
	return false;
}

Datum
ca_uscc_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Uscc	   *result = (Uscc *) palloc(sizeof(Uscc));

	if (!ca_uscc_parse_cstring(str, result, CA_ESCONTEXT(fcinfo), CA_PARSE_TEXT))
		PG_RETURN_NULL();
	PG_RETURN_USCC_P(result);
}

Datum
ca_uscc_out(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);
	char	   *buf = palloc(USCC_LEN + 1);

	ca_uscc_to_cstring(u, buf);
	PG_RETURN_CSTRING(buf);
}

/* Binary input: exactly the 18 canonical characters (see the file header). */
Datum
ca_uscc_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	Uscc	   *result = (Uscc *) palloc(sizeof(Uscc));
	int			n = buf->len - buf->cursor;
	const char *p;
	char		canonical[USCC_LEN + 1];
	int			i;

	if (n != USCC_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid binary uscc value"),
				 errdetail("The value has %d bytes; 18 ASCII characters are expected.", n)));
	p = pq_getmsgbytes(buf, USCC_LEN);
	for (i = 0; i < USCC_LEN; i++)
	{
		if (uscc_symbol_value(p[i]) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid binary uscc value"),
					 errdetail("Byte %d (0x%02X) is not a canonical USCC symbol.",
							   i + 1, (unsigned char) p[i])));
	}
	memcpy(canonical, p, USCC_LEN);
	canonical[USCC_LEN] = '\0';
	/* symbols are plain ASCII now: the text parser does the rest of the checks */
	(void) ca_uscc_parse_cstring(canonical, result, NULL, CA_PARSE_BINARY);
	PG_RETURN_USCC_P(result);
}

Datum
ca_uscc_send(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);
	char		text[USCC_LEN + 1];
	StringInfoData buf;

	ca_uscc_to_cstring(u, text);
	pq_begintypsend(&buf);
	pq_sendbytes(&buf, text, USCC_LEN);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Cast text -> uscc: the input function on the text's characters. */
Datum
ca_uscc_from_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char	   *str = text_to_cstring(t);
	Uscc	   *result = (Uscc *) palloc(sizeof(Uscc));

	(void) ca_uscc_parse_cstring(str, result, NULL, CA_PARSE_TEXT);
	PG_RETURN_USCC_P(result);
}

Datum
ca_uscc_to_text(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);
	char		buf[USCC_LEN + 1];

	ca_uscc_to_cstring(u, buf);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf, USCC_LEN));
}

/* ---- comparison: memcmp of the packed bytes is the canonical text order ---- */

#define CA_USCC_CMP_FN(name, op) \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	PG_RETURN_BOOL(ca_uscc_cmp(PG_GETARG_USCC_P(0), PG_GETARG_USCC_P(1)) op 0); \
}

CA_USCC_CMP_FN(ca_uscc_eq, ==)
CA_USCC_CMP_FN(ca_uscc_ne, !=)
CA_USCC_CMP_FN(ca_uscc_lt, <)
CA_USCC_CMP_FN(ca_uscc_le, <=)
CA_USCC_CMP_FN(ca_uscc_gt, >)
CA_USCC_CMP_FN(ca_uscc_ge, >=)

Datum
ca_uscc_cmp_sql(PG_FUNCTION_ARGS)
{
	int			c = ca_uscc_cmp(PG_GETARG_USCC_P(0), PG_GETARG_USCC_P(1));

	PG_RETURN_INT32(c < 0 ? -1 : (c > 0 ? 1 : 0));
}

static int
ca_uscc_fastcmp(Datum a, Datum b, SortSupport ssup)
{
	return ca_uscc_cmp(DatumGetUsccP(a), DatumGetUsccP(b));
}

Datum
ca_uscc_sortsupport(PG_FUNCTION_ARGS)
{
	SortSupport ssup = (SortSupport) PG_GETARG_POINTER(0);

	ssup->comparator = ca_uscc_fastcmp;
	PG_RETURN_VOID();
}

Datum
ca_uscc_hash(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);

	return hash_any(u->bytes, USCC_PACKED_LEN);
}

Datum
ca_uscc_hash_extended(PG_FUNCTION_ARGS)
{
	Uscc	   *u = PG_GETARG_USCC_P(0);

	return hash_any_extended(u->bytes, USCC_PACKED_LEN, PG_GETARG_INT64(1));
}

/* ---- helper functions ---- */

/* uscc_is_valid(text): whether the text is accepted by the input function; never raises. */
Datum
ca_uscc_is_valid(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	size_t		len = VARSIZE_ANY_EXHDR(t);
	const char *s = ca_to_utf8(VARDATA_ANY(t), &len);

	PG_RETURN_BOOL(uscc_parse(s, len, NULL, NULL) == USCC_OK);
}

/* uscc_region(uscc): positions 3-8, the administrative division code. */
Datum
ca_uscc_region(PG_FUNCTION_ARGS)
{
	char		buf[USCC_LEN + 1];

	ca_uscc_to_cstring(PG_GETARG_USCC_P(0), buf);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf + 2, 6));
}

/* uscc_org_code(uscc): positions 9-17 as the organization code is written, XXXXXXXX-X. */
Datum
ca_uscc_org_code(PG_FUNCTION_ARGS)
{
	char		buf[USCC_LEN + 1];
	char		org[10];

	ca_uscc_to_cstring(PG_GETARG_USCC_P(0), buf);
	memcpy(org, buf + 8, 8);
	org[8] = '-';
	org[9] = buf[16];
	PG_RETURN_TEXT_P(cstring_to_text_with_len(org, 10));
}

/* uscc_org_code_valid(uscc): the GB 11714 check of the embedded organization code. */
Datum
ca_uscc_org_code_valid(PG_FUNCTION_ARGS)
{
	char		buf[USCC_LEN + 1];

	ca_uscc_to_cstring(PG_GETARG_USCC_P(0), buf);
	PG_RETURN_BOOL(uscc_org_code_is_valid(buf));
}

/* uscc_check_char(body text): the check character for a 17-character body. */
Datum
ca_uscc_check_char(PG_FUNCTION_ARGS)
{
	char	   *str = text_to_cstring(PG_GETARG_TEXT_PP(0));
	size_t		len = strlen(str);
	const char *utf8 = ca_to_utf8(str, &len);
	char		body[USCC_LEN];
	UsccError	e;
	char		c;

	if (uscc_parse_body(utf8, len, body, &e) != USCC_OK)
		ca_report_parse_error(NULL, str, CA_PARSE_BODY, &e);
	c = uscc_check_char(body);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(&c, 1));
}
