/*
 * uscc_fuzz.c
 *	  libFuzzer harness for the USCC parser (src/uscc_core.c): `make fuzz` builds it with
 *	  clang -fsanitize=fuzzer,address,undefined and runs it for FUZZ_SECONDS (default 60).
 *
 * Invariants checked on every input (besides "no crash, no out-of-bounds read", which the
 * sanitizers check; the input buffer libFuzzer passes is exactly len bytes):
 *	- a rejection fills the error consistently (status matches, position/length in range, the
 *	  found character is 1-4 bytes and occurs in the input, a suggestion only for O/I/S/V/Z);
 *	- an accepted input formats to 18 canonical characters that parse again to the same bytes,
 *	  whose check character is right, and whose packed form uscc_packed_is_valid() accepts;
 *	- uscc_parse_body() on the same input agrees with uscc_parse() on its length rule;
 *	- uscc_packed_is_valid() on the first 12 input bytes agrees with format + parse.
 */
#define _GNU_SOURCE				/* memmem */
#include "uscc_core.h"

#include <stdlib.h>
#include <string.h>

#define REQUIRE(c) do { if (!(c)) abort(); } while (0)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *s = (const char *) data;
	uint8_t		packed[USCC_PACKED_LEN];
	UsccError	e;
	UsccStatus	st = uscc_parse(s, len, packed, &e);

	REQUIRE(st == e.status);
	REQUIRE(uscc_parse(s, len, NULL, NULL) == st);
	switch (st)
	{
		case USCC_OK:
			{
				char		out[USCC_LEN + 1];
				uint8_t		again[USCC_PACKED_LEN];
				int			i;

				uscc_format(packed, out);
				REQUIRE(strlen(out) == USCC_LEN);
				for (i = 0; i < USCC_LEN; i++)
					REQUIRE(uscc_symbol_value(out[i]) >= 0);
				for (i = 2; i < 8; i++)
					REQUIRE(out[i] >= '0' && out[i] <= '9');
				REQUIRE(uscc_check_char(out) == out[USCC_LEN - 1]);
				REQUIRE(uscc_parse(out, USCC_LEN, again, NULL) == USCC_OK);
				REQUIRE(memcmp(again, packed, USCC_PACKED_LEN) == 0);
				REQUIRE(uscc_packed_is_valid(packed));
				break;
			}
		case USCC_ERR_EMPTY:
			break;
		case USCC_ERR_LENGTH:
			REQUIRE(e.length != USCC_LEN && e.length > 0 && (size_t) e.length <= len);
			break;
		case USCC_ERR_CHAR:
			{
				size_t		flen = 0;

				REQUIRE(e.position >= 1 && e.position <= USCC_LEN);
				REQUIRE(e.digit_expected == (e.position >= 3 && e.position <= 8));
				while (flen < sizeof(e.found) && e.found[flen])
					flen++;
				/* an embedded NUL is reported as an empty string */
				REQUIRE(flen <= 4);
				if (flen > 0)
					REQUIRE(memmem(data, len, e.found, flen) != NULL);
				if (e.suggestion)
					REQUIRE(strchr("0125U", e.suggestion) != NULL);
				break;
			}
		case USCC_ERR_CHECK:
			REQUIRE(uscc_symbol_value(e.expected_check) >= 0);
			REQUIRE(uscc_symbol_value(e.found_check) >= 0);
			REQUIRE(e.expected_check != e.found_check);
			break;
	}

	/* the body parser applies the same rules to 17 characters */
	{
		char		body[USCC_LEN];
		UsccError	be;
		UsccStatus	bst = uscc_parse_body(s, len, body, &be);

		REQUIRE(bst != USCC_ERR_CHECK);
		if (st == USCC_OK)
			REQUIRE(bst == USCC_ERR_LENGTH && be.length == USCC_LEN);
		if (bst == USCC_OK)
			REQUIRE(strlen(body) == USCC_LEN - 1 && uscc_check_char(body) != '\0');
	}

	/* arbitrary bytes as a packed value: valid iff format + parse gives them back */
	if (len >= USCC_PACKED_LEN)
	{
		char		out[USCC_LEN + 1];
		uint8_t		again[USCC_PACKED_LEN];
		bool		valid = uscc_packed_is_valid(data);

		uscc_format(data, out);
		REQUIRE(valid == (uscc_parse(out, USCC_LEN, again, NULL) == USCC_OK &&
						  memcmp(again, data, USCC_PACKED_LEN) == 0));
	}
	return 0;
}
