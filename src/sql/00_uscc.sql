-- credit_audit: the type uscc, Unified Social Credit Code (DESIGN.md "Type credit_audit.uscc").
-- C in src/uscc.c (SQL interface) and src/uscc_core.c (parser).  Fixed length, 12 bytes: the 18
-- symbols packed as 5-bit alphabet indexes, whose byte order is the canonical text order.

CREATE TYPE credit_audit.uscc;

CREATE FUNCTION credit_audit.uscc_in(cstring) RETURNS credit_audit.uscc
    AS 'MODULE_PATHNAME', 'ca_uscc_in'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_in(cstring) IS
  'input of uscc: trims white space (incl. U+3000), folds lower case and full-width forms, checks length, alphabet, division digits and the check character';

CREATE FUNCTION credit_audit.uscc_out(credit_audit.uscc) RETURNS cstring
    AS 'MODULE_PATHNAME', 'ca_uscc_out'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_out(credit_audit.uscc) IS
  'output of uscc: the canonical 18 upper-case ASCII characters';

CREATE FUNCTION credit_audit.uscc_recv(internal) RETURNS credit_audit.uscc
    AS 'MODULE_PATHNAME', 'ca_uscc_recv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_recv(internal) IS
  'binary input of uscc: exactly the 18 canonical characters, validated';

CREATE FUNCTION credit_audit.uscc_send(credit_audit.uscc) RETURNS bytea
    AS 'MODULE_PATHNAME', 'ca_uscc_send'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_send(credit_audit.uscc) IS
  'binary output of uscc: the 18 canonical characters';

-- 12 bytes by reference (90 bits do not fit a by-value Datum); char alignment: no padding in
-- tuples; plain storage: never compressed or toasted.
CREATE TYPE credit_audit.uscc (
    INPUT = credit_audit.uscc_in,
    OUTPUT = credit_audit.uscc_out,
    RECEIVE = credit_audit.uscc_recv,
    SEND = credit_audit.uscc_send,
    INTERNALLENGTH = 12,
    ALIGNMENT = char,
    STORAGE = plain,
    CATEGORY = 'U'
);
COMMENT ON TYPE credit_audit.uscc IS
  'Unified Social Credit Code (统一社会信用代码, GB 32100-2015), validated, stored in 12 bytes';

-- Casts.  text -> uscc runs the input function; ASSIGNMENT so that INSERT ... SELECT of text
-- columns (staging tables) into uscc columns works without writing a cast, while comparisons of
-- uscc with text still need an explicit one (no silent text comparison either way).  varchar
-- likewise.  uscc -> text is ASSIGNMENT, as every type's I/O conversion to a string type is
-- (the automatic I/O casts also cover uscc -> varchar/bpchar and, explicitly, bpchar -> uscc).
CREATE FUNCTION credit_audit.uscc_from_text(text) RETURNS credit_audit.uscc
    AS 'MODULE_PATHNAME', 'ca_uscc_from_text'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_from_text(text) IS
  'cast text to uscc (same rules and errors as the input function)';

CREATE FUNCTION credit_audit.uscc_to_text(credit_audit.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_to_text'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_to_text(credit_audit.uscc) IS
  'cast uscc to text: the canonical 18 characters';

CREATE CAST (text AS credit_audit.uscc)
    WITH FUNCTION credit_audit.uscc_from_text(text) AS ASSIGNMENT;
CREATE CAST (varchar AS credit_audit.uscc)
    WITH FUNCTION credit_audit.uscc_from_text(text) AS ASSIGNMENT;
CREATE CAST (credit_audit.uscc AS text)
    WITH FUNCTION credit_audit.uscc_to_text(credit_audit.uscc) AS ASSIGNMENT;

-- Comparison: a memcmp of the packed bytes, which is the canonical text order.
CREATE FUNCTION credit_audit.uscc_eq(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_eq(credit_audit.uscc, credit_audit.uscc) IS 'implementation of = for uscc';
CREATE FUNCTION credit_audit.uscc_ne(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_ne(credit_audit.uscc, credit_audit.uscc) IS 'implementation of <> for uscc';
CREATE FUNCTION credit_audit.uscc_lt(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_lt(credit_audit.uscc, credit_audit.uscc) IS 'implementation of < for uscc';
CREATE FUNCTION credit_audit.uscc_le(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_le(credit_audit.uscc, credit_audit.uscc) IS 'implementation of <= for uscc';
CREATE FUNCTION credit_audit.uscc_gt(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_gt(credit_audit.uscc, credit_audit.uscc) IS 'implementation of > for uscc';
CREATE FUNCTION credit_audit.uscc_ge(credit_audit.uscc, credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_ge(credit_audit.uscc, credit_audit.uscc) IS 'implementation of >= for uscc';
CREATE FUNCTION credit_audit.uscc_cmp(credit_audit.uscc, credit_audit.uscc) RETURNS integer
    AS 'MODULE_PATHNAME', 'ca_uscc_cmp_sql' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_cmp(credit_audit.uscc, credit_audit.uscc) IS
  'btree comparison of uscc: -1, 0 or 1, in canonical text order';
CREATE FUNCTION credit_audit.uscc_sortsupport(internal) RETURNS void
    AS 'MODULE_PATHNAME', 'ca_uscc_sortsupport' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_sortsupport(internal) IS 'btree sort support of uscc';
CREATE FUNCTION credit_audit.uscc_hash(credit_audit.uscc) RETURNS integer
    AS 'MODULE_PATHNAME', 'ca_uscc_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_hash(credit_audit.uscc) IS 'hash of uscc';
CREATE FUNCTION credit_audit.uscc_hash_extended(credit_audit.uscc, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'ca_uscc_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION credit_audit.uscc_hash_extended(credit_audit.uscc, bigint) IS 'seeded 64-bit hash of uscc';

CREATE OPERATOR credit_audit.= (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_eq,
    COMMUTATOR = OPERATOR(credit_audit.=), NEGATOR = OPERATOR(credit_audit.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel, HASHES, MERGES
);
CREATE OPERATOR credit_audit.<> (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_ne,
    COMMUTATOR = OPERATOR(credit_audit.<>), NEGATOR = OPERATOR(credit_audit.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
CREATE OPERATOR credit_audit.< (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_lt,
    COMMUTATOR = OPERATOR(credit_audit.>), NEGATOR = OPERATOR(credit_audit.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
CREATE OPERATOR credit_audit.<= (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_le,
    COMMUTATOR = OPERATOR(credit_audit.>=), NEGATOR = OPERATOR(credit_audit.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
CREATE OPERATOR credit_audit.> (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_gt,
    COMMUTATOR = OPERATOR(credit_audit.<), NEGATOR = OPERATOR(credit_audit.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
CREATE OPERATOR credit_audit.>= (
    LEFTARG = credit_audit.uscc, RIGHTARG = credit_audit.uscc,
    FUNCTION = credit_audit.uscc_ge,
    COMMUTATOR = OPERATOR(credit_audit.<=), NEGATOR = OPERATOR(credit_audit.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);

CREATE OPERATOR CLASS credit_audit.uscc_ops
    DEFAULT FOR TYPE credit_audit.uscc USING btree AS
        OPERATOR 1 credit_audit.< ,
        OPERATOR 2 credit_audit.<= ,
        OPERATOR 3 credit_audit.= ,
        OPERATOR 4 credit_audit.>= ,
        OPERATOR 5 credit_audit.> ,
        FUNCTION 1 credit_audit.uscc_cmp(credit_audit.uscc, credit_audit.uscc),
        FUNCTION 2 credit_audit.uscc_sortsupport(internal),
        -- equal means bitwise equal: btree deduplication is safe (PG13+)
        FUNCTION 4 pg_catalog.btequalimage(oid);

CREATE OPERATOR CLASS credit_audit.uscc_hash_ops
    DEFAULT FOR TYPE credit_audit.uscc USING hash AS
        OPERATOR 1 credit_audit.= ,
        FUNCTION 1 credit_audit.uscc_hash(credit_audit.uscc),
        FUNCTION 2 credit_audit.uscc_hash_extended(credit_audit.uscc, bigint);

-- Helper functions.
CREATE FUNCTION credit_audit.uscc_is_valid(text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_is_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_is_valid(text) IS
  'whether the text is a valid USCC by the rules of the uscc input (normalization included); never raises';

CREATE FUNCTION credit_audit.uscc_region(credit_audit.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_region'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_region(credit_audit.uscc) IS
  'administrative division code of the registering authority: positions 3-8 (6 digits)';

CREATE FUNCTION credit_audit.uscc_org_code(credit_audit.uscc) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_org_code'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_org_code(credit_audit.uscc) IS
  'embedded organization code (GB 11714), positions 9-17, written XXXXXXXX-X';

CREATE FUNCTION credit_audit.uscc_org_code_valid(credit_audit.uscc) RETURNS boolean
    AS 'MODULE_PATHNAME', 'ca_uscc_org_code_valid'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_org_code_valid(credit_audit.uscc) IS
  'whether the embedded organization code passes its own GB 11714 check (not enforced by the type)';

CREATE FUNCTION credit_audit.uscc_check_char(body text) RETURNS text
    AS 'MODULE_PATHNAME', 'ca_uscc_check_char'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION credit_audit.uscc_check_char(text) IS
  'check character (position 18) for a 17-character body, normalized as uscc input; raises 22P02 for an invalid body';
