/*
 * uscc_check.c
 *	  Stand-alone check of the USCC parser (src/uscc_core.c), linked without the server:
 *	  `make unitcheck`.  Prints "uscc_check: N passed, M failed" and exits non-zero on failure.
 *
 * What it asserts:
 *	- the seven real codes of DESIGN.md parse, format back to themselves, have the check
 *	  character the weights call for, and pass the GB 11714 organization-code check;
 *	- for every one of them, every single-character substitution (any printable ASCII
 *	  character, plus the full-width forms) and every adjacent transposition that changes the
 *	  string is rejected, with the status, position and suggestion it should have;
 *	- lower-case, full-width and white-space-wrapped forms parse to the same packed bytes;
 *	- every error status with its fields (length, position, found character, suggestion,
 *	  digit_expected, expected/found check character);
 *	- for random valid codes: format(parse(x)) == x, packed memcmp order == strcmp order of the
 *	  text, uscc_packed_is_valid() accepts them and rejects corruptions;
 *	- input is never read past len (inputs are copied to the end of an exact-size heap block,
 *	  so a build with -fsanitize=address catches an overread);
 *	- the independent reference check below agrees with uscc_check_char() on random bodies.
 */
#include "uscc_core.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	passed;
static int	failed;

#define CHECK(cond, ...) \
	do { \
		if (cond) \
			passed++; \
		else \
		{ \
			failed++; \
			if (failed <= 50) \
			{ \
				fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
				fprintf(stderr, __VA_ARGS__); \
				fputc('\n', stderr); \
			} \
		} \
	} while (0)

static const char *const known[] = {
	"914403001922038216",
	"91330000733796106P",
	"91330100716105852F",
	"9144030071526726XG",
	"91110000710926094P",
	"91310000631696382C",
	"91100000100003962T",
};
#define NKNOWN ((int) (sizeof(known) / sizeof(known[0])))

/* ---- an independent reference implementation, written from DESIGN.md ---- */

static int
ref_value(char c)
{
	const char *p = strchr(USCC_ALPHABET, c);

	return (c != '\0' && p) ? (int) (p - USCC_ALPHABET) : -1;
}

static char
ref_check(const char *body)
{
	int			w = 1;
	int			sum = 0;
	int			i;

	for (i = 0; i < 17; i++)
	{
		sum += ref_value(body[i]) * w;
		w = (w * 3) % 31;
	}
	return USCC_ALPHABET[(31 - sum % 31) % 31];
}

/* canonical text accepted by the rules? (ASCII input only, no normalization) */
static bool
ref_valid(const char *s)
{
	int			i;

	if (strlen(s) != 18)
		return false;
	for (i = 0; i < 18; i++)
	{
		if (ref_value(s[i]) < 0)
			return false;
		if (i >= 2 && i <= 7 && !(s[i] >= '0' && s[i] <= '9'))
			return false;
	}
	return ref_check(s) == s[17];
}

/* ---- parse through an exact-size heap copy (ASan catches overreads) ---- */

static UsccStatus
parse(const char *s, size_t len, uint8_t *packed, UsccError *err)
{
	char	   *copy = malloc(len ? len : 1);
	UsccStatus	st;

	if (!copy)
		abort();
	memcpy(copy, s, len);
	st = uscc_parse(copy, len, packed, err);
	free(copy);
	return st;
}

static UsccStatus
parse_str(const char *s, uint8_t *packed, UsccError *err)
{
	return parse(s, strlen(s), packed, err);
}

/* UTF-8 of the full-width form of an ASCII digit or letter */
static void
fullwidth(char c, char *out)
{
	unsigned int cp = 0xFF00 + (unsigned char) c - 0x20;	/* U+FF01..FF5E = ASCII 21..7E */

	out[0] = (char) (0xE0 | (cp >> 12));
	out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
	out[2] = (char) (0x80 | (cp & 0x3F));
	out[3] = '\0';
}

static char
expected_suggestion(char up, bool digit_expected)
{
	switch (up)
	{
		case 'O':
			return '0';
		case 'I':
			return '1';
		case 'Z':
			return '2';
		case 'S':
			return '5';
		case 'V':
			return digit_expected ? 0 : 'U';
		default:
			return 0;
	}
}

static char
upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c;
}

/* ---- the checks ---- */

static void
check_known(void)
{
	int			k;

	for (k = 0; k < NKNOWN; k++)
	{
		uint8_t		packed[USCC_PACKED_LEN];
		char		out[USCC_LEN + 1];
		UsccError	e;

		CHECK(ref_valid(known[k]), "reference rejects known code %s", known[k]);
		CHECK(parse_str(known[k], packed, &e) == USCC_OK, "known code %s rejected (status %d)",
			  known[k], e.status);
		uscc_format(packed, out);
		CHECK(strcmp(out, known[k]) == 0, "format(parse(%s)) = %s", known[k], out);
		CHECK(uscc_check_char(known[k]) == known[k][17], "check char of %s", known[k]);
		CHECK(uscc_org_code_is_valid(known[k]), "org code of %s", known[k]);
		CHECK(uscc_packed_is_valid(packed), "packed form of %s not valid", known[k]);
		CHECK((packed[USCC_PACKED_LEN - 1] & 0x3F) == 0, "padding bits of %s", known[k]);
	}
	/* the embedded org codes' check characters, by hand from GB 11714 */
	CHECK(uscc_org_check_char("19220382") == '1', "org 19220382");
	CHECK(uscc_org_check_char("71526726") == 'X', "org 71526726");
	CHECK(uscc_org_check_char("00000000") == '0', "org 00000000 (11 -> 0)");
	CHECK(uscc_org_check_char("40000000") == 'X', "org 40000000 (10 -> X)");
	CHECK(uscc_org_check_char("A0000000") == '3', "org A0000000 (30 mod 11 = 8)");
	CHECK(uscc_org_check_char("0000000a") == '\0', "org with lower case");
	CHECK(!uscc_org_code_is_valid("91330000733796107P"), "org code 73379610-7 is not valid");
}

/* Every substitution at every position, for one code. */
static void
check_substitutions(const char *code, int *tried, int *accepted)
{
	int			pos;
	int			c;

	for (pos = 0; pos < 18; pos++)
	{
		bool		digit_expected = (pos >= 2 && pos <= 7);

		/* every printable ASCII character (0x21..0x7E) */
		for (c = 0x21; c <= 0x7E; c++)
		{
			char		s[19];
			UsccError	e;
			UsccStatus	st;
			char		up = upper((char) c);

			if (up == code[pos])
				continue;		/* the same symbol (or its lower case) */
			memcpy(s, code, 19);
			s[pos] = (char) c;
			st = parse_str(s, NULL, &e);
			(*tried)++;
			if (st == USCC_OK)
			{
				(*accepted)++;
				CHECK(false, "substitution %s accepted", s);
				continue;
			}
			if (ref_value(up) < 0 || (digit_expected && !(up >= '0' && up <= '9')))
			{
				CHECK(st == USCC_ERR_CHAR && e.position == pos + 1 &&
					  e.found[0] == (char) c && e.found[1] == '\0' &&
					  e.digit_expected == digit_expected &&
					  e.suggestion == expected_suggestion(up, digit_expected),
					  "substitution %s: status %d position %d found '%s' sugg '%c' digit %d",
					  s, st, e.position, e.found, e.suggestion ? e.suggestion : '-',
					  e.digit_expected);
			}
			else
			{
				char		canon[19];

				memcpy(canon, s, 19);
				canon[pos] = up;
				CHECK(st == USCC_ERR_CHECK && e.found_check == canon[17] &&
					  e.expected_check == ref_check(canon),
					  "substitution %s: status %d expected '%c' found '%c'",
					  s, st, e.expected_check, e.found_check);
			}
		}
		/* full-width forms of every alphabet symbol other than the one there */
		for (c = 0; USCC_ALPHABET[c]; c++)
		{
			char		s[64];
			char		fw[4];
			UsccStatus	st;

			if (USCC_ALPHABET[c] == code[pos])
				continue;
			fullwidth(USCC_ALPHABET[c], fw);
			memcpy(s, code, (size_t) pos);
			memcpy(s + pos, fw, 3);
			memcpy(s + pos + 3, code + pos + 1, (size_t) (18 - pos));	/* incl. NUL */
			st = parse_str(s, NULL, NULL);
			(*tried)++;
			if (st == USCC_OK)
				(*accepted)++;
			CHECK(st != USCC_OK, "full-width substitution at %d accepted", pos + 1);
		}
	}
}

static void
check_transpositions(const char *code, int *tried, int *accepted)
{
	int			pos;

	for (pos = 0; pos < 17; pos++)
	{
		char		s[19];
		UsccError	e;
		UsccStatus	st;

		if (code[pos] == code[pos + 1])
			continue;
		memcpy(s, code, 19);
		s[pos] = code[pos + 1];
		s[pos + 1] = code[pos];
		st = parse_str(s, NULL, &e);
		(*tried)++;
		if (st == USCC_OK)
			(*accepted)++;
		CHECK(st == USCC_ERR_CHECK || (st == USCC_ERR_CHAR && e.digit_expected),
			  "transposition %s: status %d", s, st);
	}
}

static void
check_forms(void)
{
	int			k;

	for (k = 0; k < NKNOWN; k++)
	{
		uint8_t		want[USCC_PACKED_LEN];
		uint8_t		got[USCC_PACKED_LEN];
		char		buf[256];
		char	   *p;
		int			i;
		static const char *const wraps[][2] = {
			{" ", " "}, {"\t\n", "\r\n"}, {"\v\f", ""}, {"", "   "},
			{"\xE3\x80\x80", "\xE3\x80\x80"}, {" \xE3\x80\x80 ", "\xE3\x80\x80\t"},
		};

		parse_str(known[k], want, NULL);

		/* lower case */
		for (i = 0; i < 19; i++)
			buf[i] = (char) ((known[k][i] >= 'A' && known[k][i] <= 'Z') ? known[k][i] + 32 : known[k][i]);
		CHECK(parse_str(buf, got, NULL) == USCC_OK && memcmp(got, want, USCC_PACKED_LEN) == 0,
			  "lower case %s", buf);

		/* full width, upper and lower case */
		p = buf;
		for (i = 0; i < 18; i++)
		{
			fullwidth(known[k][i], p);
			p += 3;
		}
		CHECK(parse_str(buf, got, NULL) == USCC_OK && memcmp(got, want, USCC_PACKED_LEN) == 0,
			  "full width of %s", known[k]);
		p = buf;
		for (i = 0; i < 18; i++)
		{
			char		c = known[k][i];

			fullwidth((c >= 'A' && c <= 'Z') ? (char) (c + 32) : c, p);
			p += 3;
		}
		CHECK(parse_str(buf, got, NULL) == USCC_OK && memcmp(got, want, USCC_PACKED_LEN) == 0,
			  "full-width lower case of %s", known[k]);

		/* mixed: every other character full width */
		p = buf;
		for (i = 0; i < 18; i++)
		{
			if (i % 2)
			{
				fullwidth(known[k][i], p);
				p += 3;
			}
			else
				*p++ = known[k][i];
		}
		*p = '\0';
		CHECK(parse_str(buf, got, NULL) == USCC_OK && memcmp(got, want, USCC_PACKED_LEN) == 0,
			  "mixed width of %s", known[k]);

		/* surrounding white space */
		for (i = 0; i < (int) (sizeof(wraps) / sizeof(wraps[0])); i++)
		{
			snprintf(buf, sizeof(buf), "%s%s%s", wraps[i][0], known[k], wraps[i][1]);
			CHECK(parse_str(buf, got, NULL) == USCC_OK && memcmp(got, want, USCC_PACKED_LEN) == 0,
				  "white space form %d of %s", i, known[k]);
		}

		/* not NUL-terminated: parse a prefix of a longer buffer */
		snprintf(buf, sizeof(buf), "%sXYZ", known[k]);
		CHECK(parse(buf, 18, got, NULL) == USCC_OK && memcmp(got, want, USCC_PACKED_LEN) == 0,
			  "length-bounded parse of %s", known[k]);
	}
}

static void
expect_error(const char *s, size_t len, UsccStatus status, int length, int position,
			 const char *found, char suggestion, bool digit_expected,
			 char expected_check, char found_check, const char *what)
{
	UsccError	e;
	UsccStatus	st = parse(s, len, NULL, &e);

	CHECK(st == status && e.status == status, "%s: status %d, wanted %d", what, st, status);
	if (st != status)
		return;
	if (status == USCC_ERR_LENGTH)
		CHECK(e.length == length, "%s: length %d, wanted %d", what, e.length, length);
	if (status == USCC_ERR_CHAR)
		CHECK(e.position == position && strcmp(e.found, found) == 0 &&
			  e.suggestion == suggestion && e.digit_expected == digit_expected,
			  "%s: position %d found '%s' suggestion %d digit %d", what, e.position, e.found,
			  e.suggestion, e.digit_expected);
	if (status == USCC_ERR_CHECK)
		CHECK(e.expected_check == expected_check && e.found_check == found_check,
			  "%s: expected '%c' found '%c'", what, e.expected_check, e.found_check);
}

#define ERR(s, ...) expect_error(s, strlen(s), __VA_ARGS__, s)

static void
check_errors(void)
{
	UsccError	e;
	static const char letters[] = "OISVZoisvz";
	int			i;
	int			pos;

	/* empty and white space only */
	ERR("", USCC_ERR_EMPTY, 0, 0, "", 0, false, 0, 0);
	ERR(" \t\r\n\v\f", USCC_ERR_EMPTY, 0, 0, "", 0, false, 0, 0);
	ERR("\xE3\x80\x80 \xE3\x80\x80", USCC_ERR_EMPTY, 0, 0, "", 0, false, 0, 0);
	CHECK(uscc_parse(NULL, 0, NULL, &e) == USCC_ERR_EMPTY, "NULL pointer, length 0");
	CHECK(uscc_parse("914403001922038216", 0, NULL, NULL) == USCC_ERR_EMPTY, "length 0, no err");

	/* length, counted in characters after trimming */
	ERR("9", USCC_ERR_LENGTH, 1, 0, "", 0, false, 0, 0);
	ERR("91440300192203821", USCC_ERR_LENGTH, 17, 0, "", 0, false, 0, 0);
	ERR("9144030019220382166", USCC_ERR_LENGTH, 19, 0, "", 0, false, 0, 0);
	ERR(" 9144 0300 1922 0382 16 ", USCC_ERR_LENGTH, 22, 0, "", 0, false, 0, 0);
	ERR("914403001922038216\xE3\x80\x80x", USCC_ERR_LENGTH, 20, 0, "", 0, false, 0, 0);
	ERR("91-440300-19220382-16", USCC_ERR_LENGTH, 21, 0, "", 0, false, 0, 0);
	/* 18 multibyte characters are 18 characters, not a length error */
	ERR("\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD"
		"\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD"
		"\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD",
		USCC_ERR_CHAR, 0, 1, "\xE4\xB8\xAD", 0, false, 0, 0);
	/* 17 multibyte characters are 17 */
	ERR("\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD"
		"\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD"
		"\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD\xE4\xB8\xAD",
		USCC_ERR_LENGTH, 17, 0, "", 0, false, 0, 0);
	/* a byte that is not UTF-8 counts as one character and is reported alone */
	ERR("91440300192203821\xFF", USCC_ERR_CHAR, 0, 18, "\xFF", 0, false, 0, 0);
	ERR("9144030019220382\xE4\xB8", USCC_ERR_CHAR, 0, 17, "\xE4", 0, false, 0, 0);
	ERR("\xC0\xB0" "9144030019220382", USCC_ERR_CHAR, 0, 1, "\xC0", 0, false, 0, 0);
	ERR("\xED\xA0\x80" "914403001922038", USCC_ERR_CHAR, 0, 1, "\xED", 0, false, 0, 0);
	/* an embedded NUL is a character like any other */
	expect_error("91440300\0" "922038216", 18, USCC_ERR_CHAR, 0, 9, "", 0, false, 0, 0,
				 "embedded NUL");

	/* O I S V Z (and lower case) everywhere, with suggestions */
	for (i = 0; letters[i]; i++)
	{
		for (pos = 0; pos < 18; pos++)
		{
			char		s[19];
			char		found[2] = {letters[i], '\0'};
			bool		digit = (pos >= 2 && pos <= 7);

			memcpy(s, known[1], 19);
			s[pos] = letters[i];
			expect_error(s, 18, USCC_ERR_CHAR, 0, pos + 1, found,
						 expected_suggestion(upper(letters[i]), digit), digit, 0, 0,
						 "excluded letter");
		}
	}
	/* full-width O at position 5 (division code): found is the full-width character */
	ERR("9133\xEF\xBC\xAF" "000733796106P", USCC_ERR_CHAR, 0, 5, "\xEF\xBC\xAF", '0', true, 0, 0);
	ERR("91330000733796\xEF\xBD\x89" "06P", USCC_ERR_CHAR, 0, 15, "\xEF\xBD\x89", '1', false, 0, 0);
	/* a letter of the alphabet in the division code */
	ERR("91A30000733796106P", USCC_ERR_CHAR, 0, 3, "A", 0, true, 0, 0);
	ERR("913300b0733796106P", USCC_ERR_CHAR, 0, 7, "b", 0, true, 0, 0);
	/* the first offending position wins */
	ERR("9O3300007337961I6P", USCC_ERR_CHAR, 0, 2, "O", '0', false, 0, 0);
	/* length is checked before characters */
	ERR("OOO", USCC_ERR_LENGTH, 3, 0, "", 0, false, 0, 0);
	/* punctuation, interior space, U+3000 inside */
	ERR("91330000 33796106P", USCC_ERR_CHAR, 0, 9, " ", 0, false, 0, 0);
	ERR("9133\xE3\x80\x80" "000733796106P", USCC_ERR_CHAR, 0, 5, "\xE3\x80\x80", 0, true, 0, 0);
	ERR("91330000733796106-", USCC_ERR_CHAR, 0, 18, "-", 0, false, 0, 0);

	/* check character mismatch */
	ERR("91330000733796106Q", USCC_ERR_CHECK, 0, 0, "", 0, false, 'P', 'Q');
	ERR("91330000733796106p", USCC_OK, 0, 0, "", 0, false, 0, 0);
	ERR("914403001922038217", USCC_ERR_CHECK, 0, 0, "", 0, false, '6', '7');
	ERR("9144030071526726Xg ", USCC_OK, 0, 0, "", 0, false, 0, 0);
	ERR("9144030071526726YG", USCC_ERR_CHECK, 0, 0, "", 0, false, 'K', 'G');
	ERR(" 91100000100003962u", USCC_ERR_CHECK, 0, 0, "", 0, false, 'T', 'U');

	/* err == NULL is allowed on every path */
	CHECK(uscc_parse("x", 1, NULL, NULL) == USCC_ERR_LENGTH, "NULL err, length");
	CHECK(uscc_parse("91330000733796I06P", 18, NULL, NULL) == USCC_ERR_CHAR, "NULL err, char");
	CHECK(uscc_parse("91330000733796106Q", 18, NULL, NULL) == USCC_ERR_CHECK, "NULL err, check");
}

static void
check_body(void)
{
	char		body[USCC_LEN];
	UsccError	e;

	CHECK(uscc_parse_body("9133000073379610\xEF\xBC\x96", 19, body, &e) == USCC_OK &&
		  strcmp(body, "91330000733796106") == 0, "body with full-width 6");
	CHECK(uscc_parse_body(" 9144030071526726x\t", 19, body, &e) == USCC_OK &&
		  strcmp(body, "9144030071526726X") == 0 && uscc_check_char(body) == 'G',
		  "body lower case, spaces");
	CHECK(uscc_parse_body("91330000733796106P", 18, body, &e) == USCC_ERR_LENGTH &&
		  e.length == 18, "body of 18");
	CHECK(uscc_parse_body("91330O00733796106", 17, body, &e) == USCC_ERR_CHAR &&
		  e.position == 6 && e.suggestion == '0' && e.digit_expected, "body with O");
	CHECK(uscc_parse_body("", 0, body, &e) == USCC_ERR_EMPTY, "empty body");
	CHECK(uscc_check_char("9133000073379610I") == '\0', "check char of a non-symbol");
}

/* small deterministic PRNG (xorshift64*) */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint32_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t) ((rng_state * 0x2545F4914F6CDD1DULL) >> 32);
}

static void
random_code(char *s)
{
	int			i;

	for (i = 0; i < 17; i++)
		s[i] = (i >= 2 && i <= 7) ? (char) ('0' + rng() % 10) : USCC_ALPHABET[rng() % 31];
	/* bias some codes to share long prefixes, so ordering ties are exercised deep */
	if (rng() % 2)
		memcpy(s, "91330108", 8);
	s[17] = ref_check(s);
	s[18] = '\0';
}

static int
sign(int x)
{
	return (x > 0) - (x < 0);
}

static void
check_random(void)
{
	enum {N = 20000};
	static char codes[N][19];
	static uint8_t packed[N][USCC_PACKED_LEN];
	int			i;
	int			bad_roundtrip = 0;
	int			bad_order = 0;
	int			bad_valid = 0;
	int			bad_corrupt = 0;

	for (i = 0; i < N; i++)
	{
		char		out[19];

		random_code(codes[i]);
		if (uscc_parse(codes[i], 18, packed[i], NULL) != USCC_OK)
		{
			bad_roundtrip++;
			continue;
		}
		uscc_format(packed[i], out);
		if (strcmp(out, codes[i]) != 0 || uscc_check_char(codes[i]) != codes[i][17])
			bad_roundtrip++;
		if (!uscc_packed_is_valid(packed[i]))
			bad_valid++;
	}
	CHECK(bad_roundtrip == 0, "%d random codes failed format(parse(x)) == x", bad_roundtrip);
	CHECK(bad_valid == 0, "%d packed forms not valid", bad_valid);

	/* memcmp order == strcmp order, over random pairs and neighbours */
	for (i = 0; i < 4 * N; i++)
	{
		int			a = (int) (rng() % N);
		int			b = (i % 2) ? (a + 1) % N : (int) (rng() % N);

		if (sign(memcmp(packed[a], packed[b], USCC_PACKED_LEN)) != sign(strcmp(codes[a], codes[b])))
			bad_order++;
	}
	/* and for codes that differ in one symbol only, at every position */
	for (i = 0; i < N; i++)
	{
		char		s[19];
		uint8_t		p[USCC_PACKED_LEN];
		int			pos = (int) (rng() % 17);

		memcpy(s, codes[i], 19);
		s[pos] = (pos >= 2 && pos <= 7) ? (char) ('0' + rng() % 10) : USCC_ALPHABET[rng() % 31];
		s[17] = ref_check(s);
		if (uscc_parse(s, 18, p, NULL) != USCC_OK ||
			sign(memcmp(packed[i], p, USCC_PACKED_LEN)) != sign(strcmp(codes[i], s)))
			bad_order++;
	}
	CHECK(bad_order == 0, "%d pairs ordered differently by memcmp and strcmp", bad_order);

	/* corruptions of the packed form are recognized */
	for (i = 0; i < N; i++)
	{
		uint8_t		p[USCC_PACKED_LEN];
		int			bit = (int) (rng() % (USCC_PACKED_LEN * 8));

		memcpy(p, packed[i], USCC_PACKED_LEN);
		p[bit / 8] ^= (uint8_t) (0x80 >> (bit % 8));
		/* one flipped bit changes one symbol value by a power of two < 31, or a padding bit */
		if (uscc_packed_is_valid(p))
			bad_corrupt++;
	}
	CHECK(bad_corrupt == 0, "%d one-bit corruptions of packed forms passed as valid", bad_corrupt);
	{
		uint8_t		p[USCC_PACKED_LEN];

		memset(p, 0xFF, sizeof(p));
		CHECK(!uscc_packed_is_valid(p), "all ones is not valid");
		memset(p, 0, sizeof(p));
		CHECK(uscc_packed_is_valid(p), "000000000000000000 is valid (check char 0)");
		{
			char		out[19];

			uscc_format(p, out);
			CHECK(strcmp(out, "000000000000000000") == 0, "format of zeros: %s", out);
		}
	}

	/* the core's check character agrees with the reference on random bodies */
	{
		int			mismatch = 0;

		for (i = 0; i < N; i++)
		{
			char		s[19];

			random_code(s);
			if (uscc_check_char(s) != ref_check(s))
				mismatch++;
		}
		CHECK(mismatch == 0, "%d check characters differ from the reference", mismatch);
	}
}

int
main(void)
{
	int			k;
	int			tried = 0;
	int			accepted = 0;
	int			ttried = 0;
	int			taccepted = 0;

	check_known();
	for (k = 0; k < NKNOWN; k++)
	{
		check_substitutions(known[k], &tried, &accepted);
		check_transpositions(known[k], &ttried, &taccepted);
	}
	CHECK(accepted == 0, "%d substitutions accepted", accepted);
	CHECK(taccepted == 0, "%d transpositions accepted", taccepted);
	check_forms();
	check_errors();
	check_body();
	check_random();

	printf("uscc_check: %d substitutions and %d adjacent transpositions of %d codes tried, "
		   "%d and %d accepted\n", tried, ttried, NKNOWN, accepted, taccepted);
	printf("uscc_check: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
