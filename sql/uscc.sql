SET client_min_messages = warning;
DROP EXTENSION IF EXISTS credit_audit CASCADE;
CREATE EXTENSION credit_audit;
RESET client_min_messages;

-- The type credit_audit.uscc (DESIGN.md "Type credit_audit.uscc").
SET search_path = credit_audit, public;

-- Storage: fixed 12 bytes, by reference, char aligned, plain.
SELECT typlen, typbyval, typalign, typstorage, typcategory
  FROM pg_type WHERE oid = 'credit_audit.uscc'::regtype;

--
-- Every real code of DESIGN.md is accepted, canonical, and its helpers are right.
--
CREATE TEMP TABLE known (code text PRIMARY KEY);
INSERT INTO known VALUES
  ('914403001922038216'), ('91330000733796106P'), ('91330100716105852F'),
  ('9144030071526726XG'), ('91110000710926094P'), ('91310000631696382C'),
  ('91100000100003962T');
SELECT code::uscc AS uscc,
       code::uscc::text = code AS canonical,
       uscc_is_valid(code) AS is_valid,
       uscc_region(code::uscc) AS region,
       uscc_org_code(code::uscc) AS org_code,
       uscc_org_code_valid(code::uscc) AS org_valid,
       uscc_check_char(left(code, 17)) AS check_char
  FROM known ORDER BY code;

--
-- Exhaustively, for every known code: every single-character substitution (each of the 31
-- alphabet symbols and I O S V Z, at each of the 18 positions) and every adjacent
-- transposition that changes the string is rejected.
--
CREATE TEMP TABLE symbol AS
  SELECT substr('0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ', i, 1) AS c
    FROM generate_series(1, 36) i;
SELECT count(*) AS substitutions_tried,
       count(*) FILTER (WHERE uscc_is_valid(s)) AS accepted
  FROM (SELECT overlay(k.code PLACING y.c FROM p FOR 1) AS s
          FROM known k, generate_series(1, 18) p, symbol y
         WHERE substr(k.code, p, 1) <> y.c) x;
SELECT count(*) AS transpositions_tried,
       count(*) FILTER (WHERE uscc_is_valid(s)) AS accepted
  FROM (SELECT overlay(k.code PLACING substr(k.code, p + 1, 1) || substr(k.code, p, 1)
                       FROM p FOR 2) AS s
          FROM known k, generate_series(1, 17) p
         WHERE substr(k.code, p, 1) <> substr(k.code, p + 1, 1)) x;

-- The same through the type's input for one code, classifying every rejection by SQLSTATE and
-- the first words of its detail.
CREATE FUNCTION pg_temp.try_uscc(t text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    st text; det text;
BEGIN
    PERFORM t::credit_audit.uscc;
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, det = PG_EXCEPTION_DETAIL;
    RETURN st || ' ' || CASE
        WHEN det LIKE 'The check character%' THEN 'check character'
        WHEN det LIKE '%is not a digit; positions 3 to 8%' THEN 'letter in division code'
        WHEN det LIKE '%is not in the USCC alphabet%' THEN 'not in alphabet'
        ELSE det END;
END $$;
SELECT pg_temp.try_uscc(overlay('91330000733796106P' PLACING y.c FROM p FOR 1)) AS outcome,
       count(*)
  FROM generate_series(1, 18) p, symbol y
 WHERE substr('91330000733796106P', p, 1) <> y.c
 GROUP BY 1 ORDER BY 1;
SELECT pg_temp.try_uscc(overlay('91330000733796106P' PLACING substr('91330000733796106P', p + 1, 1)
                                || substr('91330000733796106P', p, 1) FROM p FOR 2)) AS outcome,
       count(*)
  FROM generate_series(1, 17) p
 WHERE substr('91330000733796106P', p, 1) <> substr('91330000733796106P', p + 1, 1)
 GROUP BY 1 ORDER BY 1;

--
-- Normalization: lower case, full-width forms, surrounding white space (ASCII and U+3000).
--
SELECT '91330000733796106p'::uscc AS lower_case,
       '９１３３００００７３３７９６１０６Ｐ'::uscc AS full_width,
       '９１４４０３００７１５２６７２６ｘｇ'::uscc AS full_width_lower,
       '91330000７３３７９６１０６P'::uscc AS mixed,
       E' \t91330000733796106P\r\n'::uscc AS ascii_space,
       '　91330000733796106P　 '::uscc AS ideographic_space;
SELECT count(DISTINCT v) AS distinct_values, min(v::text) AS value
  FROM (VALUES ('91330000733796106P'::uscc), ('91330000733796106p'),
               ('９１３３００００７３３７９６１０６Ｐ'), ('　91330000733796106P')) x(v);

--
-- Every error path: SQLSTATE 22P02, the message with the input as given, the detail, the hint.
--
SELECT ''::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT ' 　 '::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '9133000073379610'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '91330000733796106PP'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '9133 0000 7337 9610 6P'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '9'::uscc;
\echo :LAST_ERROR_SQLSTATE
-- an excluded letter outside the division code, with the likely intended symbol
SELECT '91330000733796I06P'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '91330000733796106O'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '9133000073379S106P'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT 'Z1330000733796106P'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '91330000733796106v'::uscc;
\echo :LAST_ERROR_SQLSTATE
-- inside the division code (positions 3-8) only digits: O means 0, V gets no suggestion
SELECT '9133O000733796106P'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '913300V0733796106P'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '91A30000733796106P'::uscc;
\echo :LAST_ERROR_SQLSTATE
-- full-width and other characters are quoted as given, with their code point
SELECT '9133Ｏ000733796106P'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '91330000733796106中'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '91330000-33796106P'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT E'91330000\t33796106P'::uscc;
\echo :LAST_ERROR_SQLSTATE
-- check character mismatch
SELECT '91330000733796106Q'::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '91330000733796160P'::uscc;
\echo :LAST_ERROR_SQLSTATE
-- the cast from text reports the same way
SELECT '914403001922038217'::text::uscc;
\echo :LAST_ERROR_SQLSTATE
SELECT '914403001922038217'::varchar::uscc;
\echo :LAST_ERROR_SQLSTATE
-- the same errors reach PL/pgSQL with their SQLSTATE
DO $$
DECLARE st text; msg text; det text; hint text;
BEGIN
    PERFORM '9133O000733796106P'::credit_audit.uscc;
EXCEPTION WHEN invalid_text_representation THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RAISE NOTICE 'sqlstate %: % / % / %', st, msg, det, hint;
END $$;

--
-- uscc_is_valid never raises, whatever it is given.
--
SELECT t AS input, uscc_is_valid(t) AS is_valid
  FROM (VALUES (''), (' '), ('　'), ('x'), ('9133000073379610'),
               ('91330000733796106Q'), ('9133O000733796106P'), ('中华人民共和国统一社会信用代码十八位'),
               ('😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀'), (E'\\x00'),
               ('９１３３００００７３３７９６１０６Ｐ'), (' 91330000733796106p ')) v(t);
SELECT uscc_is_valid(repeat('9', 100000)) AS long_digits,
       uscc_is_valid(repeat('中', 100000)) AS long_multibyte,
       uscc_is_valid(repeat(' ', 100000) || '91330000733796106P' || repeat(' ', 100000)) AS padded,
       uscc_is_valid(NULL) AS null_input;

--
-- uscc_check_char: normalizes its body like the input; an invalid body is 22P02.
--
SELECT uscc_check_char('91330000733796106') AS p,
       uscc_check_char(' ９１４４０３００７１５２６７２６x　') AS g,
       uscc_check_char('00000000000000000') AS zero,
       ('91330108' || lpad('1', 9, '0') || uscc_check_char('91330108' || lpad('1', 9, '0')))::uscc
         AS generated;
SELECT uscc_check_char('91330000733796106P');
\echo :LAST_ERROR_SQLSTATE
SELECT uscc_check_char('9133000073379610');
\echo :LAST_ERROR_SQLSTATE
SELECT uscc_check_char('9133O000733796106');
\echo :LAST_ERROR_SQLSTATE
SELECT uscc_check_char('');
\echo :LAST_ERROR_SQLSTATE

--
-- uscc_org_code_valid: the embedded GB 11714 check, not enforced by the type.
-- 913300007337961070: organization code 73379610-7 (should be -6), a valid USCC all the same.
--
SELECT u, uscc_org_code(u), uscc_org_code_valid(u)
  FROM (VALUES (('913300007337961' || '07' || uscc_check_char('91330000733796107'))::uscc),
               ('9144030071526726XG'::uscc)) v(u);

--
-- Casts: text and varchar to uscc by assignment (INSERT ... SELECT from text works), uscc to
-- text; no implicit comparison of uscc with text.
--
CREATE TEMP TABLE staged (t text, v varchar);
INSERT INTO staged VALUES (' 91330000733796106p', '91330100716105852F');
CREATE TEMP TABLE target (a uscc, b uscc, c text);
INSERT INTO target SELECT t, v, t::uscc FROM staged;
SELECT a, b, c, pg_typeof(a), pg_typeof(c) FROM target;
SELECT a = '91330000733796106P' AS literal_compares FROM target;
SELECT a = c FROM target;
SELECT a = c::uscc AS with_cast, a::text = c AS as_text FROM target;
SELECT castcontext, castmethod, castsource::regtype, casttarget::regtype
  FROM pg_cast
 WHERE castsource = 'credit_audit.uscc'::regtype OR casttarget = 'credit_audit.uscc'::regtype
 ORDER BY castsource::regtype::text, casttarget::regtype::text;
SELECT 'x'::bpchar::uscc;
SELECT '91330000733796106P'::bpchar::uscc, '91330000733796106P'::uscc::varchar(18);

--
-- Operators and ordering: the order of uscc is the order of its canonical text.
--
SELECT a, b, a = b AS eq, a <> b AS ne, a < b AS lt, a <= b AS le, a > b AS gt, a >= b AS ge,
       uscc_cmp(a, b) AS cmp
  FROM (VALUES ('91330000733796106P'::uscc, '91330100716105852F'::uscc),
               ('91330100716105852F', '91330000733796106P'),
               ('91330000733796106P', '91330000733796106p')) v(a, b);
CREATE TEMP TABLE codes AS
  SELECT g, (b || uscc_check_char(b))::uscc AS u
    FROM (SELECT g, substr('9ABCDEFGHJKLMNPQRTUWXY', 1 + g % 22, 1)
                   || substr('123456789ABCDEFGHJKLMNPQRTUWXY', 1 + (g / 22) % 30, 1)
                   || lpad(((g * 7919) % 1000000)::text, 6, '0')
                   || translate(lpad(((g * 104729) % 1000000000)::text, 9, '0'),
                                '0123456789', 'Y0A1W2N3X4') AS b
            FROM generate_series(1, 20000) g) s;
SELECT count(*) AS rows, count(DISTINCT u) AS distinct_codes,
       count(*) FILTER (WHERE uscc_is_valid(u::text)) AS valid
  FROM codes;
SELECT count(*) AS order_mismatches
  FROM (SELECT u, row_number() OVER (ORDER BY u) AS by_uscc,
               row_number() OVER (ORDER BY u::text COLLATE "C") AS by_text
          FROM codes) x
 WHERE by_uscc <> by_text;
SELECT count(*) AS neighbour_mismatches
  FROM (SELECT u, lead(u) OVER (ORDER BY u) AS nxt FROM codes) x
 WHERE nxt IS NOT NULL
   AND ((u < nxt) IS DISTINCT FROM (u::text COLLATE "C" < nxt::text COLLATE "C")
        OR uscc_cmp(u, nxt) <> -1 OR uscc_cmp(nxt, u) <> 1 OR uscc_cmp(u, u) <> 0);
SELECT u FROM codes ORDER BY u LIMIT 3;
SELECT u FROM codes ORDER BY u DESC LIMIT 3;

-- Operator catalog: commutators, negators, estimators, hash/merge joinable.
SELECT oprname, oprcom::regoperator IS NOT NULL AS has_commutator,
       (SELECT o2.oprname FROM pg_operator o2 WHERE o2.oid = o.oprcom) AS commutator,
       (SELECT o2.oprname FROM pg_operator o2 WHERE o2.oid = o.oprnegate) AS negator,
       oprrest, oprjoin, oprcanhash, oprcanmerge
  FROM pg_operator o
 WHERE oprleft = 'credit_audit.uscc'::regtype
 ORDER BY oprname;
SELECT am.amname, opc.opcname, opc.opcdefault
  FROM pg_opclass opc JOIN pg_am am ON am.oid = opc.opcmethod
 WHERE opc.opcintype = 'credit_audit.uscc'::regtype ORDER BY 1;
SELECT am.amname, p.amprocnum, p.amproc::regproc
  FROM pg_amproc p JOIN pg_opfamily f ON f.oid = p.amprocfamily JOIN pg_am am ON am.oid = f.opfmethod
 WHERE p.amproclefttype = 'credit_audit.uscc'::regtype ORDER BY 1, 2;

--
-- Indexes: btree and hash are used.
--
CREATE INDEX codes_btree ON codes (u);
ANALYZE codes;
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT g FROM codes WHERE u = '913301080000000010';
SELECT u FROM codes ORDER BY u LIMIT 1 \gset first_
SELECT g, u FROM codes WHERE u = :'first_u';
EXPLAIN (COSTS OFF) SELECT count(*) FROM codes WHERE u < '913301080000000010';
SELECT count(*) = (SELECT count(*) FROM codes WHERE u::text COLLATE "C" < '913301080000000010')
       AS range_matches_text
  FROM codes WHERE u < '913301080000000010';
EXPLAIN (COSTS OFF) SELECT u FROM codes ORDER BY u LIMIT 1;
CREATE INDEX codes_hash ON codes USING hash (u);
DROP INDEX codes_btree;
EXPLAIN (COSTS OFF) SELECT g FROM codes WHERE u = '913301080000000010';
SELECT g, u FROM codes WHERE u = :'first_u';
RESET enable_seqscan;
RESET enable_bitmapscan;
-- A primary key and a unique violation work as usual.
CREATE TEMP TABLE pk (u uscc PRIMARY KEY);
INSERT INTO pk VALUES ('91330000733796106P');
INSERT INTO pk VALUES ('９１３３００００７３３７９６１０６ｐ');

--
-- Joins and grouping: hash join, merge join, GROUP BY (hash and sort), DISTINCT.
--
CREATE TEMP TABLE codes2 AS SELECT u, g FROM codes WHERE g % 3 = 0;
ANALYZE codes2;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM codes a JOIN codes2 b USING (u);
SELECT count(*), count(*) FILTER (WHERE a.g = b.g) FROM codes a JOIN codes2 b USING (u);
RESET enable_mergejoin;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM codes a JOIN codes2 b USING (u);
SELECT count(*), count(*) FILTER (WHERE a.g = b.g) FROM codes a JOIN codes2 b USING (u);
RESET enable_hashjoin;
RESET enable_nestloop;
CREATE TEMP TABLE dup AS SELECT u FROM codes2 UNION ALL SELECT u FROM codes2 UNION ALL SELECT u FROM codes;
ANALYZE dup;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT u, count(*) FROM dup GROUP BY u;
SELECT count(*) AS groups, sum(n) AS rows, max(n) AS max_per_group
  FROM (SELECT u, count(*) AS n FROM dup GROUP BY u) x;
RESET enable_sort;
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT u, count(*) FROM dup GROUP BY u;
SELECT count(*) AS groups, sum(n) AS rows, max(n) AS max_per_group
  FROM (SELECT u, count(*) AS n FROM dup GROUP BY u) x;
RESET enable_hashagg;
SELECT count(DISTINCT u) AS count_distinct, (SELECT count(*) FROM (SELECT DISTINCT u FROM dup) d)
       AS select_distinct
  FROM dup;
SELECT u = ANY (ARRAY['91330000733796106P'::uscc, '914403001922038216']) AS in_array, count(*)
  FROM (SELECT code::uscc AS u FROM known) k GROUP BY 1 ORDER BY 1;

-- Hashing: equal values hash equally (also the seeded 64-bit hash), whatever the input form.
SELECT uscc_hash('91330000733796106P') = uscc_hash('９１３３００００７３３７９６１０６ｐ') AS hash_eq,
       uscc_hash_extended('91330000733796106P', 42) = uscc_hash_extended(' 91330000733796106p', 42)
         AS hash_ext_eq,
       (uscc_hash_extended('91330000733796106P', 0) & 4294967295)
         = (uscc_hash('91330000733796106P')::bigint & 4294967295) AS seed0_low_bits_match,
       uscc_hash_extended('91330000733796106P', 0) <> uscc_hash_extended('91330000733796106P', 1)
         AS seed_matters,
       uscc_hash('91330000733796106P') <> uscc_hash('914403001922038216') AS hash_differs;

--
-- Binary send/receive.  The binary form is the 18 canonical ASCII characters.
--
SELECT code, uscc_send(code::uscc), convert_from(uscc_send(code::uscc), 'SQL_ASCII') = code AS is_text
  FROM known ORDER BY code;
-- Receive through a binary COPY round trip (a server-side file in the data directory).
SELECT current_setting('data_directory') || '/uscc_regress.copy' AS copyfile \gset
CREATE TEMP TABLE bin_src (u uscc, n int);
INSERT INTO bin_src SELECT code::uscc, row_number() OVER (ORDER BY code) FROM known;
COPY bin_src TO :'copyfile' (FORMAT binary);
CREATE TEMP TABLE bin_dst (u uscc, n int);
COPY bin_dst FROM :'copyfile' (FORMAT binary);
SELECT count(*) AS rows, count(*) FILTER (WHERE s.u = d.u) AS equal
  FROM bin_src s JOIN bin_dst d USING (n);
-- recv validates: a text (or bytea) field's binary form is its raw bytes, so COPY them out
-- from a text column and in to a uscc column.
COPY (SELECT '91330000733796106Q'::text, 1) TO :'copyfile' (FORMAT binary);
COPY bin_dst FROM :'copyfile' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
COPY (SELECT '91330000733796106p'::text, 1) TO :'copyfile' (FORMAT binary);
COPY bin_dst FROM :'copyfile' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
COPY (SELECT '91330000733796106'::text, 1) TO :'copyfile' (FORMAT binary);
COPY bin_dst FROM :'copyfile' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
COPY (SELECT ' 91330000733796106P'::text, 1) TO :'copyfile' (FORMAT binary);
COPY bin_dst FROM :'copyfile' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
COPY (SELECT '9133O000733796106P'::text, 1) TO :'copyfile' (FORMAT binary);
COPY bin_dst FROM :'copyfile' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
COPY (SELECT '91A30000733796106P'::text, 1) TO :'copyfile' (FORMAT binary);
COPY bin_dst FROM :'copyfile' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
COPY (SELECT '\x000102030405060708090a0b'::bytea, 1) TO :'copyfile' (FORMAT binary);
COPY bin_dst FROM :'copyfile' (FORMAT binary);
\echo :LAST_ERROR_SQLSTATE
COPY (SELECT '91330100716105852F'::text, 1) TO :'copyfile' (FORMAT binary);
COPY bin_dst FROM :'copyfile' (FORMAT binary);
SELECT u, n FROM bin_dst ORDER BY n, u;
-- leave an empty file behind, not data
COPY (SELECT 1 WHERE false) TO :'copyfile';

--
-- Other database encodings: input is converted to UTF-8 before parsing, so full-width forms
-- work in EUC_CN too; SQL_ASCII bytes go to the parser as they are, and uscc_is_valid() does
-- not raise on bytes that are not UTF-8 there.
--
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS uscc_regress_euc_cn;
DROP DATABASE IF EXISTS uscc_regress_sql_ascii;
RESET client_min_messages;
CREATE DATABASE uscc_regress_euc_cn ENCODING 'EUC_CN' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE uscc_regress_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
\c uscc_regress_euc_cn
SET client_encoding = 'UTF8';
CREATE EXTENSION credit_audit;
SELECT '　９１３３００００７３３７９６１０６ｐ'::credit_audit.uscc AS full_width,
       credit_audit.uscc_is_valid('９１４４０３００７１５２６７２６ＸＧ') AS is_valid,
       credit_audit.uscc_check_char('９１３３００００７３３７９６１０６') AS check_char,
       (SELECT name FROM credit_audit.department WHERE code = 'market') AS shipped_name;
SELECT '9133Ｏ000733796106P'::credit_audit.uscc;
\c uscc_regress_sql_ascii
SET client_encoding = 'UTF8';
CREATE EXTENSION credit_audit;
SELECT '９１３３００００７３３７９６１０６ｐ'::credit_audit.uscc AS full_width,
       credit_audit.uscc_is_valid(convert_from('\xff'::bytea, 'SQL_ASCII')) AS lone_byte,
       credit_audit.uscc_is_valid(convert_from('\x3931333330303030373333373936313036ff'::bytea,
                                               'SQL_ASCII')) AS bad_last_byte;
\c :regress_db
DROP DATABASE uscc_regress_euc_cn;
DROP DATABASE uscc_regress_sql_ascii;
SET search_path = credit_audit, public;

--
-- Markings of every function of the type (this file's functions; other pieces pin theirs):
-- IMMUTABLE, STRICT, PARALLEL SAFE, commented; comparison, hash and cast-to-text LEAKPROOF.
--
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
       p.proleakproof, obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented
  FROM pg_proc p
 WHERE p.pronamespace = 'credit_audit'::regnamespace
   AND p.proname IN ('uscc_in', 'uscc_out', 'uscc_recv', 'uscc_send', 'uscc_from_text',
                     'uscc_to_text', 'uscc_eq', 'uscc_ne', 'uscc_lt', 'uscc_le', 'uscc_gt',
                     'uscc_ge', 'uscc_cmp', 'uscc_sortsupport', 'uscc_hash',
                     'uscc_hash_extended', 'uscc_is_valid', 'uscc_region', 'uscc_org_code',
                     'uscc_org_code_valid', 'uscc_check_char')
 ORDER BY p.proname, p.oid::regprocedure::text;
