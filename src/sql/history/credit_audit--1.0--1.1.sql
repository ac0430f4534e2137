-- credit_audit 1.0 -> 1.1 (ALTER EXTENSION credit_audit UPDATE TO '1.1')
\echo Use "ALTER EXTENSION credit_audit UPDATE TO '1.1'" to load this file. \quit

