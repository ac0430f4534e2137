-- credit_audit: the credit score (DESIGN.md "Credit score"), implemented in src/score.c.
-- score(u, t) = clamp(100 + sum of credit events + sum of sanctions, 0, 100), computed in double
-- precision and returned as numeric rounded to 2 decimals.  The functions read sanction,
-- credit_event, score_rule (and enterprise) through their indexes for the caller, who needs
-- SELECT on those tables.

CREATE FUNCTION credit_audit.credit_score(u credit_audit.uscc, as_of date DEFAULT current_date,
                                          basis text DEFAULT 'listing')
RETURNS numeric
LANGUAGE C STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_credit_score';
COMMENT ON FUNCTION credit_audit.credit_score(credit_audit.uscc, date, text) IS
  'credit score of an enterprise on a day: clamp(100 + credit events + sanctions, 0, 100); a non-revoked sanction deducts its score_rule points from listed_on (basis listing) or fact_date (basis fact) until removed_on, then recovers linearly over recovery_days; revoked listings count for nothing; computed in double precision, rounded to 2 decimals';

CREATE FUNCTION credit_audit.credit_scores(as_of date DEFAULT current_date,
                                           basis text DEFAULT 'listing')
RETURNS TABLE (uscc credit_audit.uscc, score numeric)
LANGUAGE C STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_credit_scores';
COMMENT ON FUNCTION credit_audit.credit_scores(date, text) IS
  'credit score of every enterprise on a day (100 without sanctions or events), in one ordered pass over the data; same formula and rounding as credit_score()';

CREATE FUNCTION credit_audit.credit_grade(score numeric)
RETURNS text
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_credit_grade';
COMMENT ON FUNCTION credit_audit.credit_grade(numeric) IS
  'credit level of a score (the tax credit levels): A >= 90, B >= 70, C >= 40, else D';

CREATE FUNCTION credit_audit.score_history(u credit_audit.uscc, "from" date, "to" date,
                                           basis text DEFAULT 'listing')
RETURNS TABLE (day date, score numeric)
LANGUAGE C STABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'ca_score_history';
COMMENT ON FUNCTION credit_audit.score_history(credit_audit.uscc, date, date, text) IS
  'the credit score over [from, to] as a step function: a row for from, for to, and for every day whose score differs from the day before (during a recovery, every day it changes); the score of any day is that of the last row on or before it';
