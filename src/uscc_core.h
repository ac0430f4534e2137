/*
 * uscc_core.h
 *	  Pure-C core of the Unified Social Credit Code (GB 32100-2015): parsing with normalization,
 *	  the mod-31 check character, the GB 11714 organization-code check, and the packed form.
 *
 * No PostgreSQL headers: this code is linked into the server module and, alone, into the
 * stand-alone checker and fuzz harness under test/fuzz/.
 *
 * Packed form: each of the 18 symbols is its index (0..30) in the alphabet
 * 0-9 A B C D E F G H J K L M N P Q R T U W X Y, written as 5 bits, most significant bit first,
 * symbol 1 in the top bits of byte 0; 90 bits in 12 bytes, the last 6 bits zero.  The alphabet is
 * in ASCII order, so comparing packed forms with memcmp() orders them as their canonical text.
 * 12 bytes instead of an 18-byte text copy: a third smaller in heap and index tuples, and
 * equality/ordering are a single memcmp with no collation involved.
 */
#ifndef USCC_CORE_H
#define USCC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USCC_LEN 18
#define USCC_PACKED_LEN 12
#define USCC_ALPHABET "0123456789ABCDEFGHJKLMNPQRTUWXY"

typedef enum UsccStatus
{
	USCC_OK = 0,
	USCC_ERR_EMPTY,				/* nothing but white space */
	USCC_ERR_LENGTH,			/* not 18 characters after trimming */
	USCC_ERR_CHAR,				/* a character outside the alphabet (or a letter in 3-8) */
	USCC_ERR_CHECK				/* check character does not match */
} UsccStatus;

typedef struct UsccError
{
	UsccStatus	status;
	int			length;			/* USCC_ERR_LENGTH: number of characters seen */
	int			position;		/* USCC_ERR_CHAR: 1-based position */
	char		found[8];		/* USCC_ERR_CHAR: the offending character, UTF-8, NUL-terminated */
	char		suggestion;		/* USCC_ERR_CHAR: likely intended symbol for O/I/S/V/Z, else 0 */
	bool		digit_expected; /* USCC_ERR_CHAR: position is in the division code (3-8) */
	char		expected_check; /* USCC_ERR_CHECK: the check character the body calls for */
	char		found_check;	/* USCC_ERR_CHECK: the one given */
} UsccError;

/*
 * Parse len bytes of UTF-8 (not necessarily NUL-terminated).  Surrounding white space (ASCII and
 * U+3000) is ignored; lower case and full-width forms (U+FF10-FF19, U+FF21-FF3A, U+FF41-FF5A) are
 * accepted.  On success fills packed (USCC_PACKED_LEN bytes) and returns USCC_OK; otherwise
 * fills *err (if not NULL) and returns its status.  Never reads past len, never allocates.
 */
extern UsccStatus uscc_parse(const char *str, size_t len, uint8_t *packed, UsccError *err);

/* Canonical text (18 characters + NUL) of a packed code. */
extern void uscc_format(const uint8_t *packed, char *out);

/* Value (0..30) of a canonical symbol, or -1. */
extern int	uscc_symbol_value(char c);

/* Check character for the first 17 canonical characters ('\0' if one is not a symbol). */
extern char uscc_check_char(const char *body17);

/* GB 11714 check of the organization code embedded at positions 9-17 (canonical text). */
extern bool uscc_org_code_is_valid(const char *canonical18);

/*
 * Additions to the contract above (additive only).
 */

/*
 * Parse a 17-character body (positions 1-17, no check character) with the same trimming,
 * normalization and per-character rules as uscc_parse(); on success writes the canonical
 * 17 characters + NUL into body_out (at least USCC_LEN bytes).  Never returns USCC_ERR_CHECK.
 */
extern UsccStatus uscc_parse_body(const char *str, size_t len, char *body_out, UsccError *err);

/* GB 11714 check character ('0'-'9' or 'X') of an 8-character organization-code body, or '\0'. */
extern char uscc_org_check_char(const char *body8);

/*
 * Is this USCC_PACKED_LEN-byte value one that uscc_parse() can produce?  (Every symbol value
 * below 31, digits in positions 3-8, zero padding bits, matching check character.)
 */
extern bool uscc_packed_is_valid(const uint8_t *packed);

#endif							/* USCC_CORE_H */
