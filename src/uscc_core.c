/*
 * uscc_core.c
 *	  Pure-C core of the Unified Social Credit Code (GB 32100-2015): parsing with normalization,
 *	  the mod-31 check character, the GB 11714 organization-code check, packing and formatting.
 *
 * No PostgreSQL headers (see uscc_core.h): the server module, the stand-alone checker
 * test/fuzz/uscc_check.c and the fuzz harness all link this file.  Nothing here allocates,
 * and nothing reads outside [str, str + len).
 *
 * Input rules (DESIGN.md "Type credit_audit.uscc"):
 *	- surrounding white space is ignored: ASCII space, \t \n \v \f \r, and U+3000 (ideographic
 *	  space, what a Chinese input method types);
 *	- lower case and full-width digits/letters (U+FF10-FF19, U+FF21-FF3A, U+FF41-FF5A) are
 *	  folded to upper-case ASCII;
 *	- exactly 18 characters must remain (counted as characters, not bytes; a byte that does
 *	  not start a well-formed UTF-8 sequence counts as one character);
 *	- every character must be in the alphabet 0-9 A-H J-N P-R T U W-Y, and positions 3-8 (the
 *	  administrative division) must be digits;
 *	- the check character (position 18) must match.
 * Errors are reported in that order; for characters, the first offending position wins.
 *
 * Likely intended symbols for the five letters the alphabet leaves out, because they are
 * easily confused with a symbol it has: O -> 0, I -> 1, Z -> 2, S -> 5 (shapes of digits), and
 * V -> U (the only letter among them that looks like a letter of the alphabet).  Inside the
 * division code (positions 3-8) only digits can be meant, so V gets no suggestion there.
 */
#include "uscc_core.h"

#include <string.h>

/* weights 3^(i-1) mod 31 for positions 1..17 */
static const int uscc_weights[USCC_LEN - 1] = {
	1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
};

/* GB 11714 weights of the 8 body characters of an organization code */
static const int org_weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};

int
uscc_symbol_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'H')
		return 10 + (c - 'A');
	if (c >= 'J' && c <= 'N')
		return 18 + (c - 'J');
	if (c >= 'P' && c <= 'R')
		return 23 + (c - 'P');
	if (c == 'T' || c == 'U')
		return 26 + (c - 'T');
	if (c >= 'W' && c <= 'Y')
		return 28 + (c - 'W');
	return -1;
}

char
uscc_check_char(const char *body17)
{
	int			sum = 0;
	int			i;

	for (i = 0; i < USCC_LEN - 1; i++)
	{
		int			v = uscc_symbol_value(body17[i]);

		if (v < 0)
			return '\0';
		sum += v * uscc_weights[i];
	}
	return USCC_ALPHABET[(31 - sum % 31) % 31];
}

/* GB 11714 value of an organization-code character: 0-9 -> 0-9, A-Z -> 10-35, else -1 */
static int
org_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return 10 + (c - 'A');
	return -1;
}

char
uscc_org_check_char(const char *body8)
{
	int			sum = 0;
	int			i;
	int			c;

	for (i = 0; i < 8; i++)
	{
		int			v = org_value(body8[i]);

		if (v < 0)
			return '\0';
		sum += v * org_weights[i];
	}
	c = 11 - sum % 11;
	if (c == 10)
		return 'X';
	if (c == 11)
		return '0';
	return (char) ('0' + c);
}

bool
uscc_org_code_is_valid(const char *canonical18)
{
	char		expected = uscc_org_check_char(canonical18 + 8);

	return expected != '\0' && expected == canonical18[16];
}

/* ASCII white space as C's isspace() in the "C" locale */
static bool
is_ascii_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Length in bytes of white space starting at s (0 if none); U+3000 is E3 80 80. */
static size_t
space_at(const unsigned char *s, size_t avail)
{
	if (avail >= 1 && is_ascii_space(s[0]))
		return 1;
	if (avail >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

/* Is there white space ending exactly at s + end (i.e. in the bytes before end)?  Its length. */
static size_t
space_before(const unsigned char *s, size_t end)
{
	if (end >= 1 && is_ascii_space(s[end - 1]))
		return 1;
	if (end >= 3 && s[end - 3] == 0xE3 && s[end - 2] == 0x80 && s[end - 1] == 0x80)
		return 3;
	return 0;
}

/*
 * Length of the character at s: a well-formed UTF-8 sequence (shortest form, no surrogates,
 * at most U+10FFFF) of 1-4 bytes, or 1 for any byte that does not start one.  *cp gets the
 * code point (or the byte itself when malformed, with *malformed set).
 */
static size_t
char_at(const unsigned char *s, size_t avail, unsigned int *cp, bool *malformed)
{
	unsigned char c = s[0];
	size_t		n;
	unsigned int v;
	size_t		i;

	*malformed = false;
	if (c < 0x80)
	{
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF)
	{
		n = 2;
		v = c & 0x1F;
	}
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		v = c & 0x0F;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		v = c & 0x07;
	}
	else
		goto bad;
	if (avail < n)
		goto bad;
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			goto bad;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
		(v >= 0xD800 && v <= 0xDFFF))
		goto bad;
	*cp = v;
	return n;

bad:
	*cp = c;
	*malformed = true;
	return 1;
}

/* Fold a code point to an upper-case ASCII digit/letter (full-width, lower case), else 0. */
static char
fold_char(unsigned int cp)
{
	if (cp >= 0xFF10 && cp <= 0xFF19)
		return (char) ('0' + (cp - 0xFF10));
	if (cp >= 0xFF21 && cp <= 0xFF3A)
		return (char) ('A' + (cp - 0xFF21));
	if (cp >= 0xFF41 && cp <= 0xFF5A)
		return (char) ('A' + (cp - 0xFF41));
	if (cp >= 'a' && cp <= 'z')
		return (char) ('A' + (cp - 'a'));
	if ((cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))
		return (char) cp;
	return 0;
}

/* Likely intended symbol for a letter outside the alphabet (see the file header), else 0. */
static char
suggest(char folded, bool digit_expected)
{
	switch (folded)
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

static UsccStatus
fail(UsccError *err, UsccStatus status)
{
	if (err)
		err->status = status;
	return status;
}

/*
 * Common part of uscc_parse() and uscc_parse_body(): trim, count, fold and validate the
 * characters of a string that must hold exactly nchars symbols; canonical text into out.
 */
static UsccStatus
parse_symbols(const char *str, size_t len, int nchars, char *out, UsccError *err)
{
	const unsigned char *s = (const unsigned char *) str;
	size_t		start = 0;
	size_t		end = len;
	size_t		pos;
	size_t		sp;
	long		count;
	int			i;

	if (err)
		memset(err, 0, sizeof(*err));
	if (str == NULL)
		end = 0;

	/* trim */
	while (start < end && (sp = space_at(s + start, end - start)) > 0)
		start += sp;
	while (end > start && (sp = space_before(s + start, end - start)) > 0)
		end -= sp;
	if (start == end)
		return fail(err, USCC_ERR_EMPTY);

	/* count characters */
	count = 0;
	for (pos = start; pos < end;)
	{
		unsigned int cp;
		bool		malformed;

		pos += char_at(s + pos, end - pos, &cp, &malformed);
		if (count < 0x7FFFFFFF)
			count++;
	}
	if (count != nchars)
	{
		if (err)
			err->length = (int) count;
		return fail(err, USCC_ERR_LENGTH);
	}

	/* fold and validate, left to right */
	pos = start;
	for (i = 0; i < nchars; i++)
	{
		unsigned int cp;
		bool		malformed;
		size_t		n = char_at(s + pos, end - pos, &cp, &malformed);
		char		c = malformed ? 0 : fold_char(cp);
		bool		digit_expected = (i >= 2 && i <= 7);

		if (c == 0 || uscc_symbol_value(c) < 0 || (digit_expected && !(c >= '0' && c <= '9')))
		{
			if (err)
			{
				err->position = i + 1;
				memcpy(err->found, s + pos, n);
				err->found[n] = '\0';
				err->digit_expected = digit_expected;
				err->suggestion = c ? suggest(c, digit_expected) : 0;
			}
			return fail(err, USCC_ERR_CHAR);
		}
		out[i] = c;
		pos += n;
	}
	out[nchars] = '\0';
	return USCC_OK;
}

/* Pack 18 canonical symbols into USCC_PACKED_LEN bytes (see uscc_core.h). */
static void
pack(const char *canonical, uint8_t *packed)
{
	uint32_t	acc = 0;
	int			bits = 0;
	int			o = 0;
	int			i;

	for (i = 0; i < USCC_LEN; i++)
	{
		acc = (acc << 5) | (uint32_t) uscc_symbol_value(canonical[i]);
		bits += 5;
		while (bits >= 8)
		{
			packed[o++] = (uint8_t) (acc >> (bits - 8));
			bits -= 8;
		}
	}
	/* 90 bits: 2 left over, padded with 6 zero bits */
	packed[o++] = (uint8_t) (acc << (8 - bits));
}

/* Unpack the 18 symbol values of a packed code. */
static void
unpack(const uint8_t *packed, int *values)
{
	uint32_t	acc = 0;
	int			bits = 0;
	int			b = 0;
	int			i;

	for (i = 0; i < USCC_LEN; i++)
	{
		if (bits < 5)
		{
			acc = (acc << 8) | packed[b++];
			bits += 8;
		}
		values[i] = (int) ((acc >> (bits - 5)) & 0x1F);
		bits -= 5;
	}
}

UsccStatus
uscc_parse(const char *str, size_t len, uint8_t *packed, UsccError *err)
{
	char		canonical[USCC_LEN + 1];
	UsccStatus	st;
	char		expected;

	st = parse_symbols(str, len, USCC_LEN, canonical, err);
	if (st != USCC_OK)
		return st;
	expected = uscc_check_char(canonical);
	if (expected != canonical[USCC_LEN - 1])
	{
		if (err)
		{
			err->expected_check = expected;
			err->found_check = canonical[USCC_LEN - 1];
		}
		return fail(err, USCC_ERR_CHECK);
	}
	if (packed)
		pack(canonical, packed);
	return USCC_OK;
}

UsccStatus
uscc_parse_body(const char *str, size_t len, char *body_out, UsccError *err)
{
	char		canonical[USCC_LEN];
	UsccStatus	st;

	st = parse_symbols(str, len, USCC_LEN - 1, canonical, err);
	if (st == USCC_OK && body_out)
		memcpy(body_out, canonical, USCC_LEN);	/* 17 symbols + NUL */
	return st;
}

void
uscc_format(const uint8_t *packed, char *out)
{
	int			values[USCC_LEN];
	int			i;

	unpack(packed, values);
	for (i = 0; i < USCC_LEN; i++)
		out[i] = values[i] < 31 ? USCC_ALPHABET[values[i]] : '?';
	out[USCC_LEN] = '\0';
}

bool
uscc_packed_is_valid(const uint8_t *packed)
{
	char		canonical[USCC_LEN + 1];
	int			values[USCC_LEN];
	int			i;

	unpack(packed, values);
	for (i = 0; i < USCC_LEN; i++)
	{
		if (values[i] > 30 || (i >= 2 && i <= 7 && values[i] > 9))
			return false;
		canonical[i] = USCC_ALPHABET[values[i]];
	}
	canonical[USCC_LEN] = '\0';
	if ((packed[USCC_PACKED_LEN - 1] & 0x3F) != 0)
		return false;
	return uscc_check_char(canonical) == canonical[USCC_LEN - 1];
}
