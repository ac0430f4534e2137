/*
 * credit_audit.h
 *	  Shared declarations of the credit_audit extension: the uscc type's in-memory form, the
 *	  catalog lookups every module needs, and the credit-record API that scoring, eligibility
 *	  and the audit share (one implementation of the rules, used from every caller).
 *
 * One C file per concept:
 *	  uscc_core.c	pure-C parser/formatter of Unified Social Credit Codes (no server headers)
 *	  uscc.c		the SQL type uscc: I/O, operators, opclass support, helper functions
 *	  common.c		cached OIDs of the extension's schema, tables and severity enum
 *	  score.c		credit record loading and the credit score
 *	  guard.c		guard()/unguard(), eligibility and the grant-table triggers
 *	  finding.c		the writer of findings and their NOTIFY payloads
 *	  audit.c		sanction trigger and the audit sweep (audit(), refresh_findings())
 *	  ingest.c		staging normalization and ingestion
 */
#ifndef CREDIT_AUDIT_H
#define CREDIT_AUDIT_H

#include "postgres.h"

#include "access/attnum.h"
#include "fmgr.h"
#include "utils/date.h"
#include "utils/snapshot.h"

#include "uscc_core.h"

/*
 * The uscc type: fixed length, USCC_PACKED_LEN (12) bytes, passed by reference, char aligned.
 * The 18 symbols (check character included) are stored as 5-bit alphabet indexes packed
 * big-endian, so memcmp() order equals the order of the canonical text form.  See uscc_core.h.
 */
typedef struct Uscc
{
	uint8		bytes[USCC_PACKED_LEN];
} Uscc;

#define DatumGetUsccP(X)	((Uscc *) DatumGetPointer(X))
#define UsccPGetDatum(X)	PointerGetDatum(X)
#define PG_GETARG_USCC_P(n) DatumGetUsccP(PG_GETARG_DATUM(n))
#define PG_RETURN_USCC_P(x) return UsccPGetDatum(x)

static inline int
ca_uscc_cmp(const Uscc *a, const Uscc *b)
{
	return memcmp(a->bytes, b->bytes, USCC_PACKED_LEN);
}

/* Canonical 18-character text of a code into buf (at least USCC_LEN + 1 bytes). */
extern void ca_uscc_to_cstring(const Uscc *u, char *buf);

/* ---- common.c: cached catalog lookups (reset when the extension's schema changes) ---- */

/* Relations of the extension, by index into ca_relation_oid(). */
typedef enum CaRelId
{
	CA_REL_ENTERPRISE,
	CA_REL_ENTERPRISE_PKEY,
	CA_REL_SANCTION,
	CA_REL_SANCTION_USCC_IDX,	/* sanction_natural_key: leading column uscc */
	CA_REL_CREDIT_EVENT,
	CA_REL_CREDIT_EVENT_USCC_IDX,
	CA_REL_SCORE_RULE,
	CA_REL_PROGRAM,
	CA_REL_PROGRAM_PKEY,
	CA_REL_FINDING,
	CA_REL_GUARDED_TABLE,
	CA_REL_FINDING_UNIQUE,		/* finding_unique: (source_table, source_key, kind, sanction_id) */
	CA_REL__COUNT
} CaRelId;

extern Oid	ca_schema_oid(void);
extern Oid	ca_relation_oid(CaRelId rel);
extern Oid	ca_uscc_type_oid(void);
extern Oid	ca_severity_type_oid(void);
/* Owner of the extension: triggers read and write the extension's tables as this role. */
extern Oid	ca_extension_owner(void);

/* Severity enum value <-> rank (0 minor, 1 general, 2 serious). */
#define CA_SEVERITY_COUNT 3
extern int	ca_severity_rank(Oid enumval);
extern Oid	ca_severity_oid(int rank);
extern const char *ca_severity_name(int rank);

/* ---- score.c: the credit record of one enterprise and the score formula ---- */

typedef enum CaBasis
{
	CA_BASIS_LISTING,			/* a sanction counts from listed_on: what was published */
	CA_BASIS_FACT				/* a sanction counts from fact_date: what was true */
} CaBasis;

/* 'listing' or 'fact'; anything else raises 22023 naming the bad value. */
extern CaBasis ca_parse_basis(const char *s);

/* One sanction as the rules see it. removed_on is DATEVAL_NOEND while still listed. */
typedef struct CaSanction
{
	int64		id;
	int			severity;		/* rank */
	bool		revoked;
	DateADT		fact_date;
	DateADT		listed_on;
	DateADT		removed_on;
	double		points;			/* resolved from score_rule (0 if no rule applies) */
	int32		recovery_days;
	char	   *department;
	char	   *category;
} CaSanction;

/* One credit_event. valid_days 0 = forever. */
typedef struct CaEvent
{
	DateADT		event_date;
	int32		valid_days;
	double		points;
} CaEvent;

/* Rules of score_rule, loaded once per query (the table is small). */
typedef struct CaRules CaRules;
extern CaRules *ca_rules_load(MemoryContext cxt, Snapshot snapshot);
extern void ca_rules_resolve(const CaRules *rules, CaSanction *s);

/*
 * Credit record of one enterprise through the uscc indexes, under the given snapshot.
 * Results are palloc'd in the current memory context; *nsanctions / *nevents get the counts.
 * Revoked sanctions are returned (flagged) so callers can report them; scoring skips them.
 */
typedef struct CaRecord
{
	int			nsanctions;
	CaSanction *sanctions;
	int			nevents;
	CaEvent    *events;
} CaRecord;

/*
 * The reader lives in cxt (e.g. flinfo->fn_mcxt, kept in fn_extra) and keeps the relations open
 * and the rules loaded (with the snapshot of its first read) until cxt is reset or deleted, or
 * ca_record_reader_close(); at the latest until the transaction ends (then a later read reopens
 * them).  Do not pfree the reader itself.  The snapshot of a read need not be registered, but
 * must stay valid during the call.  Reads no permissions: callers decide who may see what.
 */
typedef struct CaRecordReader CaRecordReader;	/* relations + rules kept open for a query */
extern CaRecordReader *ca_record_reader_open(MemoryContext cxt);
extern void ca_record_read(CaRecordReader *reader, const Uscc *u, Snapshot snapshot,
						   CaRecord *out);
extern void ca_record_reader_close(CaRecordReader *reader);

/*
 * Let the reader take its rules from fn(arg, snapshot) instead of loading them itself (the guard
 * trigger keeps them across statements, see guard.c).  Called at the reader's first sanction of
 * each statement, with that read's snapshot; the rules returned must stay valid while the reader
 * is in use.
 */
typedef CaRules *(*CaRulesProvider) (void *arg, Snapshot snapshot);
extern void ca_record_reader_set_rules_provider(CaRecordReader *reader, CaRulesProvider fn,
												void *arg);

/*
 * The formula of DESIGN.md: 100 + sum, clamped to [0, 100], as a double (not rounded).
 * ca_score_numeric() rounds it to 2 decimals (as round(x::float8::numeric, 2)): compare that
 * numeric, which is what users see, with thresholds such as program.min_score.
 */
extern double ca_score_compute(const CaRecord *rec, DateADT as_of, CaBasis basis);
extern Datum ca_score_numeric(double score);
/* The same rounding as a double (cents / 100.0): compare this, not the raw score, in C. */
extern double ca_score_round(double score);


/* ---- finding.c: the one writer of findings (guard triggers, sanction trigger, refresh) ---- */

typedef struct CaFinding
{
	const char *kind;			/* retroactive | paid_while_listed | low_score */
	const char *source_table;	/* schema-qualified, quoted as needed: the guarded table */
	const char *source_key;		/* text of the row's key column(s) */
	const Uscc *uscc;
	const char *program;		/* may be NULL */
	DateADT		grant_date;
	Datum		amount;			/* numeric */
	int64		sanction_id;	/* 0 for low_score */
	const char *sanction_department;	/* for the NOTIFY payload; NULL for low_score */
	const char *paying_department;	/* the program's department, may be NULL */
} CaFinding;

/*
 * Insert a finding unless the same (source_table, source_key, kind, sanction_id) exists; when
 * inserted, queue NOTIFY credit_audit_findings with its JSON payload.  Returns the new id, or 0
 * if it existed.  Reads and writes as the current user: callers that run for an unprivileged
 * user switch to ca_extension_owner() first.
 */
extern int64 ca_finding_add(const CaFinding *f);
/* The same without the existence probe first, for callers that know the finding is new (the
 * sanction trigger on INSERT: no finding can name a sanction inserted by this statement). */
extern int64 ca_finding_insert(const CaFinding *f);

/*
 * Many new findings at once (the sanction trigger on a bulk INSERT): buffered, then written
 * 2,000 per INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING, each inserted one
 * notified as by ca_finding_add().  end() flushes, frees the batch and returns how many were
 * inserted.  Findings are copied when added.
 */
typedef struct CaFindingBatch CaFindingBatch;
extern CaFindingBatch *ca_finding_batch_begin(void);
extern void ca_finding_batch_add(CaFindingBatch *b, const CaFinding *f);
extern int64 ca_finding_batch_end(CaFindingBatch *b);

/*
 * A guarded row's identity in findings (every writer uses these, so one row always gets the same
 * source_table/source_key).  ca_source_table_name: schema-qualified name, quoted as needed, of the
 * table given to guard() (for a partitioned table the parent, not the partition).  ca_source_key:
 * one key column -> its output text; several -> a row literal "(a,b)" quoted as record_out does;
 * values are formatted with fixed settings (DateStyle ISO, TimeZone UTC), never the session's.
 * attnums are the slot's own (map them for a partition whose columns are numbered differently).
 * Both palloc in the current memory context.
 */
extern char *ca_source_table_name(Oid relid);
struct TupleTableSlot;
extern char *ca_source_key(struct TupleTableSlot *slot, int nkeys, const AttrNumber *attnums);

/* ---- audit.c: the audit sweep as a stream of audit()'s rows ---- */

#define CA_AUDIT_NATTS 8		/* source_table, source_key, uscc, program, grant_date, amount,
								 * sanction_id, kind */

/*
 * begin() loads the guarded tables and the sanctions (checking that the user may read them) in
 * a memory context of its own under the current one; next() fills values/nulls with the next
 * row (valid until the next call) or returns false at the end; end() closes what is open and
 * frees everything.  The snapshot must stay valid (registered) until end().
 */
typedef struct CaAuditStream CaAuditStream;
typedef struct CaAuditParallel CaAuditParallel;
extern CaAuditStream *ca_audit_stream_begin(CaBasis basis, Snapshot snapshot,
											CaAuditParallel *par);
extern bool ca_audit_stream_next(CaAuditStream *st, Datum *values, bool *nulls);
extern void ca_audit_stream_end(CaAuditStream *st);

/*
 * A parallel stream: every participant calls begin() with the same shared state (par, set up
 * by the leader in the parallel query's DSM) and reads the blocks of each guarded table it is
 * handed; together they return the rows of one stream, in another order.  estimate() loads the
 * guarded tables' list (into *leaves) and returns the state's size; init() fills it in;
 * reinit() restarts the scans for a rescan.
 */
struct List;
extern Size ca_audit_parallel_estimate(Snapshot snapshot, struct List **leaves);
extern void ca_audit_parallel_init(CaAuditParallel *par, Size size, struct List *leaves,
								   Snapshot snapshot);
extern void ca_audit_parallel_reinit(CaAuditParallel *par);

#endif							/* CREDIT_AUDIT_H */
