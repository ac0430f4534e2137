/*
 * audit.c
 *	  The sanction trigger (findings when a listing arrives, possibly late) and the audit sweep:
 *	  audit() and refresh_findings().
 *
 * The rules (DESIGN.md "Findings and audit"): for a guarded row g of enterprise u with date d
 * and a non-revoked sanction s of u,
 *	  retroactive		 s.fact_date <= d < s.listed_on  and  d < coalesce(s.removed_on, infinity)
 *	  paid_while_listed  s.listed_on <= d < coalesce(s.removed_on, infinity)
 * Every table registered in credit_audit.guarded_table is audited, whatever its mode: the mode
 * says what happens at insert time (block, record, or nothing), while the audit reports what
 * was paid.  A partitioned table is read through its leaf partitions and reported under its
 * own name.
 *
 * One engine serves the three callers.  It holds a set of sanctions in memory, hashed by
 * enterprise (a simplehash of the 12-byte packed code; 24 bytes per sanction, grouped by
 * enterprise, with each enterprise's earliest start and latest end; both arrays in huge pages
 * where Linux grants them, as they are read at random), and streams every guarded
 * table through it: a heap scan that deforms only the needed columns, one hash probe per row
 * (a page's probes issued together with prefetches, so the scan does not wait on memory row by
 * row), and output work only for the rows of listed enterprises that fall in a listing, in a
 * scratch context reset per row.  Memory is bounded by the sanctions' size, not the grants'.
 *	  - audit(basis): all non-revoked sanctions, read-only, as a stream of rows pulled one at a
 *		time (ca_audit_stream_*: a cursor over the leaves and over each flagged row's matching
 *		sanctions).  In FROM the planner runs it as a custom scan (audit_scan.c) that returns
 *		the rows as they come; called as a function, ca_audit() puts them in a tuplestore.
 *	  - refresh_findings(): the same sweep, every row handed to ca_finding_add().
 *	  - the sanction trigger: statement level, AFTER INSERT and AFTER UPDATE, reading the new
 *		rows from the transition table, so a statement inserting 500k sanctions scans each
 *		guarded table once.  When the batch touches few enterprises and a table has a btree
 *		index leading with its uscc column, it probes that index per enterprise instead.  On
 *		INSERT every finding is new and they are written in batches (ca_finding_batch_*); on
 *		UPDATE each goes through ca_finding_add(), which skips existing ones with an index
 *		probe.
 *
 * Trigger concurrency (docs/internals.md): a BEFORE ROW trigger locks each sanction's
 * enterprise row FOR UPDATE (table_tuple_lock, following the update chain) before the row is
 * written -- before the foreign-key check takes KEY SHARE on it, so two sanction writers of one
 * enterprise queue instead of deadlocking on a lock upgrade.  FOR UPDATE waits for every grant
 * writer holding KEY SHARE on the enterprise.  The statement trigger then scans with a snapshot
 * taken after all the statement's locks (GetLatestSnapshot()), so every grant committed before
 * them is seen, and a grant writer arriving later waits for our commit and then sees the
 * sanction.  Row locks live in the tuples, so a bulk statement does not exhaust the shared lock
 * table.  The statement trigger reads and writes as the extension owner.
 *
 * A sanction that is (or becomes) revoked produces no findings, and its open findings are set
 * to dismissed.  Findings are never deleted: a later removal (repair) or date correction keeps
 * the ones already written (ON CONFLICT DO NOTHING makes every rerun idempotent).
 */
#include "credit_audit.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#ifdef __linux__
#include <sys/mman.h>
#define CA_HUGE_PAGE ((uintptr_t) 2 * 1024 * 1024)
#endif

PG_FUNCTION_INFO_V1(ca_sanction_lock_trigger);
PG_FUNCTION_INFO_V1(ca_sanction_audit_trigger);
PG_FUNCTION_INFO_V1(ca_audit);
PG_FUNCTION_INFO_V1(ca_refresh_findings);

#define CA_KIND_RETROACTIVE "retroactive"

#if defined(__GNUC__) || defined(__clang__)
#define CA_PREFETCH(p) __builtin_prefetch(p)
#else
#define CA_PREFETCH(p) ((void) 0)
#endif
#define CA_KIND_PAID_WHILE_LISTED "paid_while_listed"

/* ---- sanctions in memory, grouped by enterprise ---- */

typedef struct CaAuditSanction
{
	int64		id;
	DateADT		fact_date;
	DateADT		listed_on;
	DateADT		removed_on;		/* DATEVAL_NOEND while listed */
	int32		department;		/* index into the set's interned department codes */
} CaAuditSanction;				/* 24 bytes: 300k of them stay within the CPU caches */

typedef struct CaLoadSanction
{
	Uscc		uscc;
	CaAuditSanction s;
} CaLoadSanction;				/* as loaded, before grouping by enterprise */

typedef struct CaEntEntry
{
	Uscc		key;
	char		status;
	uint32		first;			/* index of the enterprise's first sanction in the array */
	uint32		count;
	DateADT		lo;				/* no finding for a date before lo ... */
	DateADT		hi;				/* ... or from hi on: rejects most rows without the array */
} CaEntEntry;

/*
 * The in-memory hash of a packed code: its 12 bytes as two words through a 64-bit finalizer
 * (murmur3's fmix64).  Only for this file's hash table (never stored); several times cheaper
 * than hash_bytes() on the 3M probes of a sweep.
 */
static inline uint32
ca_uscc_hash(const Uscc *u)
{
	uint64		a;
	uint32		b;
	uint64		h;

	StaticAssertStmt(USCC_PACKED_LEN == sizeof(a) + sizeof(b), "packed code is 12 bytes");
	memcpy(&a, u->bytes, sizeof(a));
	memcpy(&b, u->bytes + sizeof(a), sizeof(b));
	h = a ^ ((uint64) b * UINT64CONST(0x9E3779B97F4A7C15));
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return (uint32) h;
}

/*
 * Memory for the two arrays the sweep reads at random (the enterprise hash and the grouped
 * sanctions, several MB each): on Linux, asked for as transparent huge pages where the kernel
 * grants them on request (THP "madvise" mode), so the random reads do not also miss the TLB.
 * Zeroed on request.  Only advice: without it the memory is the same, in 4 kB pages.
 */
static void *
ca_alloc_random_access(MemoryContext cxt, Size size, bool zero)
{
	char	   *p = MemoryContextAllocExtended(cxt, size, MCXT_ALLOC_HUGE);

#if defined(__linux__) && defined(MADV_HUGEPAGE)
	if (size >= 2 * CA_HUGE_PAGE)
	{
		uintptr_t	start = TYPEALIGN(CA_HUGE_PAGE, (uintptr_t) p);
		uintptr_t	end = TYPEALIGN_DOWN(CA_HUGE_PAGE, (uintptr_t) p + size);

		if (end > start)
			(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
	}
#endif
	if (zero)
		memset(p, 0, size);
	return p;
}

#define SH_PREFIX caent
#define SH_ELEMENT_TYPE CaEntEntry
#define SH_KEY_TYPE Uscc
#define SH_KEY key
#define SH_HASH_KEY(tb, k) ca_uscc_hash(&(k))
#define SH_EQUAL(tb, a, b) (memcmp((a).bytes, (b).bytes, USCC_PACKED_LEN) == 0)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#define SH_USE_NONDEFAULT_ALLOCATOR
#include "lib/simplehash.h"

static inline void *
caent_allocate(caent_hash *tb, Size size)
{
	return ca_alloc_random_access(tb->ctx, size, true);
}

static inline void
caent_free(caent_hash *tb, void *pointer)
{
	pfree(pointer);
}

typedef struct CaSanctionSet
{
	MemoryContext cxt;
	int			n;
	int			cap;
	CaLoadSanction *raw;		/* while loading */
	CaAuditSanction *items;		/* once built: grouped by enterprise */
	caent_hash *byent;
	int			ndepts;
	int			deptcap;
	const char **depts;			/* interned department codes (a handful in practice) */
} CaSanctionSet;

static CaSanctionSet *
ca_set_create(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "credit_audit sanctions",
											  ALLOCSET_DEFAULT_SIZES);
	CaSanctionSet *set = MemoryContextAllocZero(cxt, sizeof(CaSanctionSet));

	set->cxt = cxt;
	set->cap = 1024;
	set->raw = MemoryContextAllocHuge(cxt, sizeof(CaLoadSanction) * set->cap);
	set->deptcap = 16;
	set->depts = MemoryContextAlloc(cxt, sizeof(char *) * set->deptcap);
	return set;
}

static int32
ca_set_intern(CaSanctionSet *set, const char *dept)
{
	for (int i = set->ndepts - 1; i >= 0; i--)
		if (strcmp(set->depts[i], dept) == 0)
			return i;
	if (set->ndepts == set->deptcap)
	{
		set->deptcap *= 2;
		set->depts = repalloc(set->depts, sizeof(char *) * set->deptcap);
	}
	set->depts[set->ndepts] = MemoryContextStrdup(set->cxt, dept);
	return set->ndepts++;
}

static void
ca_set_add(CaSanctionSet *set, const Uscc *u, int64 id, DateADT fact_date, DateADT listed_on,
		   DateADT removed_on, const char *dept)
{
	CaLoadSanction *r;

	if (set->n == set->cap)
	{
		set->cap *= 2;
		set->raw = repalloc_huge(set->raw, sizeof(CaLoadSanction) * set->cap);
	}
	r = &set->raw[set->n++];
	r->uscc = *u;
	r->s.id = id;
	r->s.fact_date = fact_date;
	r->s.listed_on = listed_on;
	r->s.removed_on = removed_on;
	r->s.department = ca_set_intern(set, dept);
}

/*
 * Group the sanctions by enterprise (a counting sort through the hash: linear, no comparisons)
 * and hash the groups.  Returns the number of enterprises.
 */
#define CA_BUILD_AHEAD 8			/* prefetch distance of the grouping passes */

static int
ca_set_build(CaSanctionSet *set, bool with_retroactive)
{
	int			nent = 0;
	uint32		pos = 0;
	caent_iterator it;
	CaEntEntry *e;
	CaAuditSanction *grouped;
	uint32	   *hashes;

	set->byent = caent_create(set->cxt, Max(set->n / 2, 16), NULL);
	/* the table is larger than the CPU caches: hash every code once, prefetch ahead */
	hashes = MemoryContextAllocHuge(set->cxt, sizeof(uint32) * Max(set->n, 1));
	for (int i = 0; i < set->n; i++)
		hashes[i] = ca_uscc_hash(&set->raw[i].uscc);
	for (int i = 0; i < set->n; i++)
	{
		const CaLoadSanction *r = &set->raw[i];
		bool		found;

		if (i + CA_BUILD_AHEAD < set->n)
			CA_PREFETCH(&set->byent->data[hashes[i + CA_BUILD_AHEAD] & set->byent->sizemask]);
		e = caent_insert_hash(set->byent, r->uscc, hashes[i], &found);
		if (!found)
		{
			e->count = 0;
			e->lo = DATEVAL_NOEND;
			e->hi = DATEVAL_NOBEGIN;
			nent++;
		}
		e->count++;
		e->lo = Min(e->lo, with_retroactive ? r->s.fact_date : r->s.listed_on);
		e->hi = Max(e->hi, r->s.removed_on);
	}
	caent_start_iterate(set->byent, &it);
	while ((e = caent_iterate(set->byent, &it)) != NULL)
	{
		e->first = pos;
		pos += e->count;
		e->count = 0;
	}
	grouped = ca_alloc_random_access(set->cxt, sizeof(CaAuditSanction) * Max(set->n, 1), false);
	for (int i = 0; i < set->n; i++)
	{
		if (i + CA_BUILD_AHEAD < set->n)
			CA_PREFETCH(&set->byent->data[hashes[i + CA_BUILD_AHEAD] & set->byent->sizemask]);
		e = caent_lookup_hash(set->byent, set->raw[i].uscc, hashes[i]);
		grouped[e->first + e->count++] = set->raw[i].s;
	}
	pfree(hashes);
	pfree(set->raw);
	set->raw = NULL;
	set->items = grouped;
	return nent;
}

/*
 * Read a sanction tuple.  Returns false for a revoked one (which counts for nothing).
 */
typedef struct CaSanctionAtts
{
	AttrNumber	id,
				uscc,
				department,
				fact_date,
				listed_on,
				removed_on,
				removal_reason,
				maxatt;
} CaSanctionAtts;

static void
ca_sanction_atts(TupleDesc desc, CaSanctionAtts *a)
{
	const char *names[] = {"id", "uscc", "department", "fact_date", "listed_on", "removed_on",
	"removal_reason"};
	AttrNumber *dst[] = {&a->id, &a->uscc, &a->department, &a->fact_date, &a->listed_on,
	&a->removed_on, &a->removal_reason};

	a->maxatt = 0;
	for (int k = 0; k < (int) lengthof(names); k++)
	{
		*dst[k] = InvalidAttrNumber;
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (!att->attisdropped && strcmp(NameStr(att->attname), names[k]) == 0)
			{
				*dst[k] = att->attnum;
				break;
			}
		}
		if (*dst[k] == InvalidAttrNumber)
			elog(ERROR, "column \"%s\" of credit_audit.sanction is missing", names[k]);
		a->maxatt = Max(a->maxatt, *dst[k]);
	}
}

/* Add the sanction in slot to set unless revoked; returns true if it was revoked. */
static bool
ca_set_add_slot(CaSanctionSet *set, const CaSanctionAtts *a, TupleTableSlot *slot)
{
	Datum	   *v;
	bool	   *isnull;

	slot_getsomeattrs(slot, a->maxatt);
	v = slot->tts_values;
	isnull = slot->tts_isnull;
	if (!isnull[a->removal_reason - 1])
	{
		text	   *reason = DatumGetTextPP(v[a->removal_reason - 1]);

		if (VARSIZE_ANY_EXHDR(reason) == 7 && memcmp(VARDATA_ANY(reason), "revoked", 7) == 0)
			return true;
	}
	{
		char	   *dept = TextDatumGetCString(v[a->department - 1]);

		ca_set_add(set, DatumGetUsccP(v[a->uscc - 1]), DatumGetInt64(v[a->id - 1]),
				   DatumGetDateADT(v[a->fact_date - 1]), DatumGetDateADT(v[a->listed_on - 1]),
				   isnull[a->removed_on - 1] ? DATEVAL_NOEND : DatumGetDateADT(v[a->removed_on - 1]),
				   dept);
		pfree(dept);
	}
	return false;
}

/* Every non-revoked sanction visible to snapshot. */
static void
ca_set_load_all(CaSanctionSet *set, Snapshot snapshot)
{
	Relation	rel = table_open(ca_relation_oid(CA_REL_SANCTION), AccessShareLock);
	TupleTableSlot *slot = table_slot_create(rel, NULL);
	TableScanDesc scan = table_beginscan(rel, snapshot, 0, NULL);
	CaSanctionAtts atts;
	MemoryContext old = MemoryContextSwitchTo(set->cxt);

	ca_sanction_atts(RelationGetDescr(rel), &atts);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		ca_set_add_slot(set, &atts, slot);
	}
	MemoryContextSwitchTo(old);
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, AccessShareLock);
}

/* ---- guarded tables ---- */

typedef struct CaLeaf
{
	Oid			relid;			/* heap to scan: the table, or a leaf partition */
	AttrNumber	uscc_att;		/* attribute numbers in this heap */
	AttrNumber	date_att;
	AttrNumber	amount_att;
	AttrNumber	program_att;	/* 0 if the program is fixed */
	AttrNumber *key_atts;
	AttrNumber	maxatt;
	Oid			date_typid;		/* column types, in this heap */
	Oid			amount_typid;
	Oid			program_typid;
	Oid			key_typid;		/* of the first key column */
} CaLeaf;

typedef struct CaGuarded
{
	Oid			relid;
	char	   *source_table;
	Datum		source_table_text;
	char	   *program;		/* fixed program, or NULL */
	Datum		program_text;	/* the same as a text datum, or 0 */
	int			nkeys;
	int			nleaves;
	CaLeaf	   *leaves;
} CaGuarded;

typedef struct CaProgramDept
{
	char	   *code;
	char	   *department;		/* may be NULL */
} CaProgramDept;

/* What one sweep needs besides the sanctions. */
typedef struct CaAuditContext
{
	MemoryContext cxt;
	int			nguarded;
	CaGuarded  *guarded;
	int			nprograms;
	CaProgramDept *programs;
} CaAuditContext;

static AttrNumber
ca_leaf_attnum(Oid parent, Oid leaf, AttrNumber att)
{
	char	   *name;
	AttrNumber	leafatt;

	if (parent == leaf || att == InvalidAttrNumber)
		return att;
	name = get_attname(parent, att, false);
	leafatt = get_attnum(leaf, name);
	if (leafatt == InvalidAttrNumber)
		elog(ERROR, "column \"%s\" is missing in partition \"%s\"", name, get_rel_name(leaf));
	return leafatt;
}

/*
 * Load guarded_table and, if asked, program (both small) through SPI, as the current user.  Must be
 * called outside any other SPI connection's result use; allocates in ac->cxt.
 */
static void
ca_context_load(CaAuditContext *ac, bool with_programs)
{
	int			rc;
	MemoryContext old;

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));

	rc = SPI_execute("SELECT g.tbl::pg_catalog.oid, g.uscc_attnum, g.date_attnum, g.amount_attnum,"
					 " g.program, g.program_attnum, g.key_attnums::pg_catalog.int2[]"
					 " FROM credit_audit.guarded_table g"
					 " ORDER BY g.tbl::pg_catalog.oid", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed reading guarded tables: %s", SPI_result_code_string(rc));

	old = MemoryContextSwitchTo(ac->cxt);
	ac->nguarded = 0;
	ac->guarded = palloc0(sizeof(CaGuarded) * Max(SPI_processed, 1));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		CaGuarded  *g = &ac->guarded[ac->nguarded];
		bool		isnull;
		AttrNumber	uscc_att,
					date_att,
					amount_att,
					program_att = InvalidAttrNumber;
		ArrayType  *keys;
		Datum	   *keyatts;
		List	   *leaves;
		ListCell   *lc;
		char		relkind;

		g->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		relkind = get_rel_relkind(g->relid);
		if (relkind != RELKIND_RELATION && relkind != RELKIND_PARTITIONED_TABLE)
			continue;			/* dropped concurrently, or not a table: nothing to read */
		uscc_att = DatumGetInt16(SPI_getbinval(tup, desc, 2, &isnull));
		date_att = DatumGetInt16(SPI_getbinval(tup, desc, 3, &isnull));
		amount_att = DatumGetInt16(SPI_getbinval(tup, desc, 4, &isnull));
		g->program = SPI_getvalue(tup, desc, 5);
		{
			Datum		d = SPI_getbinval(tup, desc, 6, &isnull);

			if (!isnull)
				program_att = DatumGetInt16(d);
		}
		keys = DatumGetArrayTypeP(SPI_getbinval(tup, desc, 7, &isnull));
		deconstruct_array(keys, INT2OID, sizeof(int16), true, TYPALIGN_SHORT,
						  &keyatts, NULL, &g->nkeys);
		g->source_table = ca_source_table_name(g->relid);
		g->source_table_text = CStringGetTextDatum(g->source_table);
		g->program_text = g->program ? CStringGetTextDatum(g->program) : (Datum) 0;

		if (relkind == RELKIND_PARTITIONED_TABLE)
			leaves = find_all_inheritors(g->relid, AccessShareLock, NULL);
		else
			leaves = list_make1_oid(g->relid);
		g->leaves = palloc0(sizeof(CaLeaf) * list_length(leaves));
		foreach(lc, leaves)
		{
			Oid			leaf = lfirst_oid(lc);
			CaLeaf	   *l;

			if (get_rel_relkind(leaf) != RELKIND_RELATION)
				continue;
			l = &g->leaves[g->nleaves++];
			l->relid = leaf;
			l->uscc_att = ca_leaf_attnum(g->relid, leaf, uscc_att);
			l->date_att = ca_leaf_attnum(g->relid, leaf, date_att);
			l->amount_att = ca_leaf_attnum(g->relid, leaf, amount_att);
			l->program_att = ca_leaf_attnum(g->relid, leaf, program_att);
			l->key_atts = palloc(sizeof(AttrNumber) * Max(g->nkeys, 1));
			l->maxatt = Max(Max(l->uscc_att, l->date_att), Max(l->amount_att, l->program_att));
			for (int k = 0; k < g->nkeys; k++)
			{
				l->key_atts[k] = ca_leaf_attnum(g->relid, leaf, DatumGetInt16(keyatts[k]));
				l->maxatt = Max(l->maxatt, l->key_atts[k]);
			}
			/* base types: guard() accepts domains over the expected types */
			l->date_typid = getBaseType(get_atttype(leaf, l->date_att));
			l->amount_typid = getBaseType(get_atttype(leaf, l->amount_att));
			l->program_typid = l->program_att ?
				getBaseType(get_atttype(leaf, l->program_att)) : InvalidOid;
			l->key_typid = g->nkeys > 0 ? getBaseType(get_atttype(leaf, l->key_atts[0])) : InvalidOid;
		}
		ac->nguarded++;
	}
	MemoryContextSwitchTo(old);

	/* paying departments: only findings (their NOTIFY payload) need them */
	if (!with_programs)
	{
		if ((rc = SPI_finish()) != SPI_OK_FINISH)
			elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
		return;
	}
	rc = SPI_execute("SELECT p.code, p.department FROM credit_audit.program p", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed reading programs: %s", SPI_result_code_string(rc));
	old = MemoryContextSwitchTo(ac->cxt);
	ac->nprograms = SPI_processed;
	ac->programs = palloc0(sizeof(CaProgramDept) * Max(SPI_processed, 1));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		ac->programs[r].code = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1);
		ac->programs[r].department = SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2);
	}
	MemoryContextSwitchTo(old);

	if ((rc = SPI_finish()) != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
}

static const char *
ca_program_department(const CaAuditContext *ac, const char *program)
{
	if (program == NULL)
		return NULL;
	for (int i = 0; i < ac->nprograms; i++)
		if (strcmp(ac->programs[i].code, program) == 0)
			return ac->programs[i].department;
	return NULL;
}

/* ---- the scan ---- */

/* One finding candidate handed to the sink. Strings live in the per-row scratch context. */
/*
 * One finding candidate handed to the sink.  Text values are text datums (varlena), ready for
 * a result tuple without copies: the table name and kind are built once per sweep, a text or
 * integer key and a text program come straight from the row (or a buffer on the stack).
 */
typedef struct CaAuditRow
{
	const CaGuarded *g;
	Datum		source_key;		/* text */
	const Uscc *uscc;
	Datum		program;		/* text, or 0 for NULL */
	DateADT		grant_date;
	Datum		amount;			/* numeric */
	const CaAuditSanction *sanction;
	int			kind;			/* CA_KIND_* index */
} CaAuditRow;

#define CA_KIND_PWL 0
#define CA_KIND_RETRO 1
static const char *const ca_kind_names[2] = {CA_KIND_PAID_WHILE_LISTED, CA_KIND_RETROACTIVE};

typedef void (*CaAuditSink) (const CaAuditRow *row, void *arg);

typedef struct CaScan
{
	const CaAuditContext *ac;
	const CaSanctionSet *set;
	Snapshot	snapshot;
	bool		with_retroactive;	/* false for basis 'listing' */
	bool		allow_probe;	/* trigger: probe an index per enterprise when cheaper */
	int			nent;			/* enterprises in the set */
	CaAuditSink sink;
	void	   *arg;
	MemoryContext rowcxt;
} CaScan;

/* The row's value of a column as a date; false if NULL (no date, nothing to judge). */
static bool
ca_value_date(Datum d, bool isnull, Oid typid, DateADT *out)
{
	if (isnull)
		return false;
	switch (typid)
	{
		case DATEOID:
			*out = DatumGetDateADT(d);
			return true;
		case TIMESTAMPOID:
			*out = DatumGetDateADT(DirectFunctionCall1(timestamp_date, d));
			return true;
		case TIMESTAMPTZOID:
			*out = DatumGetDateADT(DirectFunctionCall1(timestamptz_date, d));
			return true;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("date column of a guarded table has type %s", format_type_be(typid)),
					 errhint("Guard the table on a column of type date.")));
	}
	return false;
}

/* A column's value as numeric (amounts of other types go through their text form). */
static Datum
ca_value_numeric(Datum d, bool isnull, Oid typid)
{
	Oid			typoutput;
	bool		typisvarlena;

	if (isnull)
		return DirectFunctionCall3(numeric_in, CStringGetDatum("0"), ObjectIdGetDatum(InvalidOid),
								   Int32GetDatum(-1));
	if (typid == NUMERICOID)
		return d;
	getTypeOutputInfo(typid, &typoutput, &typisvarlena);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(OidOutputFunctionCall(typoutput, d)),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* The row's enterprise: the uscc column itself, or a text column parsed. */
static bool
ca_value_uscc(Datum d, bool isnull, Oid typid, Oid uscc_type, Uscc *out)
{
	if (isnull)
		return false;
	if (typid == uscc_type)
	{
		memcpy(out->bytes, DatumGetPointer(d), USCC_PACKED_LEN);
		return true;
	}
	else
	{
		Oid			typoutput;
		bool		typisvarlena;
		char	   *s;

		getTypeOutputInfo(typid, &typoutput, &typisvarlena);
		s = OidOutputFunctionCall(typoutput, d);
		return uscc_parse(s, strlen(s), out->bytes, NULL) == USCC_OK;
	}
}

/* Buffer for an integer key as text: varlena header + up to 20 digits and a sign. */
typedef union CaKeyBuf
{
	struct varlena hdr;
	char		data[VARHDRSZ + MAXINT8LEN + 1];
} CaKeyBuf;

/*
 * The row's key as a text datum, the same text as ca_source_key() gives: integer keys are
 * formatted into buf, a text key is the column's own datum, anything else goes through the
 * output functions (in the row context).
 */
static Datum
ca_row_key(const CaGuarded *g, const CaLeaf *l, TupleTableSlot *slot, CaKeyBuf *buf)
{
	if (g->nkeys == 1)
	{
		int			k = l->key_atts[0] - 1;
		Datum		d = slot->tts_values[k];
		int			len = -1;

		if (slot->tts_isnull[k])
			return CStringGetTextDatum("");
		switch (l->key_typid)
		{
#if PG_VERSION_NUM >= 140000
			case INT8OID:
				len = pg_lltoa(DatumGetInt64(d), VARDATA(&buf->hdr));
				break;
			case INT4OID:
				len = pg_ltoa(DatumGetInt32(d), VARDATA(&buf->hdr));
				break;
			case INT2OID:
				len = pg_itoa(DatumGetInt16(d), VARDATA(&buf->hdr));
				break;
#else							/* these returned void before 14 */
			case INT8OID:
				pg_lltoa(DatumGetInt64(d), VARDATA(&buf->hdr));
				len = strlen(VARDATA(&buf->hdr));
				break;
			case INT4OID:
				pg_ltoa(DatumGetInt32(d), VARDATA(&buf->hdr));
				len = strlen(VARDATA(&buf->hdr));
				break;
			case INT2OID:
				pg_itoa(DatumGetInt16(d), VARDATA(&buf->hdr));
				len = strlen(VARDATA(&buf->hdr));
				break;
#endif
			case TEXTOID:
			case VARCHAROID:
				return PointerGetDatum(pg_detoast_datum_packed((struct varlena *) DatumGetPointer(d)));
			default:
				break;
		}
		if (len >= 0)
		{
			SET_VARSIZE(&buf->hdr, VARHDRSZ + len);
			return PointerGetDatum(&buf->hdr);
		}
	}
	if (g->nkeys == 0)
		return DirectFunctionCall1(textin, DirectFunctionCall1(tidout,
															   PointerGetDatum(&slot->tts_tid)));
	return CStringGetTextDatum(ca_source_key(slot, g->nkeys, l->key_atts));
}

/* Whether a row of a listed enterprise dated d falls in any of its sanctions' periods. */
static inline bool
ca_row_any(const CaScan *sc, const CaEntEntry *ent, DateADT d)
{
	const CaAuditSanction *first = &sc->set->items[ent->first];

	for (uint32 i = 0; i < ent->count; i++)
	{
		const CaAuditSanction *s = &first[i];

		if (d < s->removed_on &&
			(s->listed_on <= d || (sc->with_retroactive && s->fact_date <= d)))
			return true;
	}
	return false;
}

/*
 * Fill in what the findings of one row share (its key, program and amount, made in the
 * current memory context; the key may use keybuf), leaving sanction and kind.
 */
static void
ca_row_prepare(const CaGuarded *g, const CaLeaf *l, TupleTableSlot *slot, const Uscc *u,
			   DateADT d, CaKeyBuf *keybuf, CaAuditRow *row)
{
	row->g = g;
	row->uscc = u;
	row->grant_date = d;
	row->source_key = ca_row_key(g, l, slot, keybuf);
	if (l->program_att == InvalidAttrNumber)
		row->program = g->program_text;
	else if (slot->tts_isnull[l->program_att - 1])
		row->program = (Datum) 0;
	else if (l->program_typid == TEXTOID || l->program_typid == VARCHAROID)
		row->program = PointerGetDatum(pg_detoast_datum_packed((struct varlena *)
															   DatumGetPointer(slot->tts_values[l->program_att - 1])));
	else
	{
		Oid			typoutput;
		bool		typisvarlena;

		getTypeOutputInfo(l->program_typid, &typoutput, &typisvarlena);
		row->program = CStringGetTextDatum(OidOutputFunctionCall(typoutput,
																 slot->tts_values[l->program_att - 1]));
	}
	row->amount = ca_value_numeric(slot->tts_values[l->amount_att - 1],
								   slot->tts_isnull[l->amount_att - 1], l->amount_typid);
}

/*
 * The next of the enterprise's sanctions, from *pos on, that flags a row dated d: sets
 * row->sanction and row->kind and advances *pos past it; false when there is none left.
 */
static inline bool
ca_row_next_match(const CaScan *sc, const CaEntEntry *ent, DateADT d, uint32 *pos,
				  CaAuditRow *row)
{
	const CaAuditSanction *first = &sc->set->items[ent->first];

	while (*pos < ent->count)
	{
		const CaAuditSanction *s = &first[(*pos)++];

		if (d >= s->removed_on)
			continue;
		if (s->listed_on <= d)
			row->kind = CA_KIND_PWL;
		else if (sc->with_retroactive && s->fact_date <= d)
			row->kind = CA_KIND_RETRO;
		else
			continue;
		row->sanction = s;
		return true;
	}
	return false;
}

/* Judge one row of a listed enterprise against its sanctions and hand the findings to the sink. */
static void
ca_scan_row(CaScan *sc, const CaGuarded *g, const CaLeaf *l, TupleTableSlot *slot,
			const CaEntEntry *ent, const Uscc *u, DateADT d)
{
	MemoryContext old;
	CaAuditRow	row;
	CaKeyBuf	keybuf;
	uint32		pos = 0;

	if (!ca_row_any(sc, ent, d))
		return;
	old = MemoryContextSwitchTo(sc->rowcxt);
	ca_row_prepare(g, l, slot, u, d, &keybuf, &row);
	while (ca_row_next_match(sc, ent, d, &pos, &row))
		sc->sink(&row, sc->arg);
	MemoryContextSwitchTo(old);
	MemoryContextReset(sc->rowcxt);
}

/* A valid, plain btree index of rel whose first column is att (of the uscc type), or NULL. */
static Relation
ca_uscc_index(Relation rel, AttrNumber att, Oid uscc_type, RegProcedure *eqproc)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;

	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), AccessShareLock);

		if (idx->rd_rel->relam == BTREE_AM_OID && idx->rd_index->indisvalid &&
			idx->rd_index->indkey.values[0] == att &&
			idx->rd_opcintype[0] == uscc_type &&
			heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL))
		{
			Oid			op = get_opfamily_member(idx->rd_opfamily[0], uscc_type, uscc_type,
												 BTEqualStrategyNumber);

			if (OidIsValid(op))
			{
				*eqproc = get_opcode(op);
				list_free(indexes);
				return idx;
			}
		}
		index_close(idx, AccessShareLock);
	}
	list_free(indexes);
	return NULL;
}

/*
 * Page-at-a-time lookups.  With 150k enterprises the hash table and the sanction array are
 * larger than the CPU caches, and a lookup per row waits for memory twice (the bucket, then the
 * enterprise's sanctions).  When the heap scan moves to a new page, every visible tuple's code
 * is read straight from the page (the scan holds the pin; visible tuples do not change), its
 * bucket prefetched, then all of them looked up and their sanctions prefetched; the row loop
 * then finds its entry ready.  Uses heapam's page-mode scan state (rs_vistuples), so only for
 * heap tables in page mode; any other scan takes the row-by-row path.
 */
typedef struct CaPagePrefetch
{
	BlockNumber block;
	int			n;
	Uscc		keys[MaxHeapTuplesPerPage];
	uint32		hashes[MaxHeapTuplesPerPage];
	DateADT		dates[MaxHeapTuplesPerPage];
	bool		present[MaxHeapTuplesPerPage];
	CaEntEntry *ents[MaxHeapTuplesPerPage]; /* NULL: no finding possible for the row */
} CaPagePrefetch;

#if PG_VERSION_NUM < 180000
static void
ca_page_prepare(CaScan *sc, CaPagePrefetch *pf, HeapScanDesc hscan, TupleDesc desc,
				const CaLeaf *l)
{
	Page		page = BufferGetPage(hscan->rs_cbuf);
	caent_hash *tb = sc->set->byent;

	pf->block = hscan->rs_cblock;
	pf->n = hscan->rs_ntuples;
	/*
	 * An all-visible page's tuples were not read by the visibility pass: fetch their headers
	 * (and the first columns, on the next cache line) before reading them one by one.
	 */
	for (int i = 0; i < pf->n; i++)
	{
		char	   *t = (char *) PageGetItem(page, PageGetItemId(page, hscan->rs_vistuples[i]));

		CA_PREFETCH(t);
		CA_PREFETCH(t + 64);
	}
	for (int i = 0; i < pf->n; i++)
	{
		ItemId		lp = PageGetItemId(page, hscan->rs_vistuples[i]);
		HeapTupleData tup;
		bool		isnull;
		Datum		d;

		tup.t_data = (HeapTupleHeader) PageGetItem(page, lp);
		tup.t_len = ItemIdGetLength(lp);
		d = heap_getattr(&tup, l->uscc_att, desc, &isnull);
		pf->present[i] = !isnull;
		if (isnull)
			continue;
		memcpy(pf->keys[i].bytes, DatumGetPointer(d), USCC_PACKED_LEN);
		pf->hashes[i] = ca_uscc_hash(&pf->keys[i]);
		CA_PREFETCH(&tb->data[pf->hashes[i] & tb->sizemask]);
		d = heap_getattr(&tup, l->date_att, desc, &isnull);
		pf->present[i] = ca_value_date(d, isnull, l->date_typid, &pf->dates[i]);
	}
	for (int i = 0; i < pf->n; i++)
	{
		CaEntEntry *e = NULL;

		if (pf->present[i])
		{
			e = caent_lookup_hash(tb, pf->keys[i], pf->hashes[i]);
			/* the enterprise's summary rejects most rows: the row loop skips them unread */
			if (e != NULL && (pf->dates[i] < e->lo || pf->dates[i] >= e->hi))
				e = NULL;
			if (e != NULL)
				CA_PREFETCH(&sc->set->items[e->first]);
		}
		pf->ents[i] = e;
	}
}
#endif

/*
 * The entry of the slot's enterprise (NULL: not listed) through the page's lookups; false if
 * the scan is not where the page state can answer (then the caller looks up itself).
 */
static bool
ca_page_lookup(CaScan *sc, CaPagePrefetch *pf, HeapScanDesc hscan, TupleDesc desc,
			   const CaLeaf *l, TupleTableSlot *slot, CaEntEntry **ent, DateADT *date)
{
#if PG_VERSION_NUM < 180000
	int			i;

	if (hscan->rs_cblock != pf->block)
		ca_page_prepare(sc, pf, hscan, desc, l);
	i = hscan->rs_cindex;
	if (i < 0 || i >= pf->n ||
		ItemPointerGetBlockNumber(&slot->tts_tid) != pf->block ||
		ItemPointerGetOffsetNumber(&slot->tts_tid) != hscan->rs_vistuples[i])
		return false;
	*ent = pf->ents[i];
	*date = pf->dates[i];
	return true;
#else
	return false;
#endif
}

/*
 * A scan of one guarded heap (a table or leaf partition) that returns the rows that may be
 * flagged: rows of listed enterprises whose date falls within the enterprise's span (lo, hi).
 * Either a heap scan (page lookups where possible) or, for the sanction trigger when the batch
 * touches few enterprises, index probes per enterprise.  The caller then judges each row.
 */
typedef struct CaLeafCursor
{
	const CaGuarded *g;
	const CaLeaf *l;
	Relation	rel;
	TupleDesc	desc;
	TupleTableSlot *slot;
	Oid			uscc_type;
	Oid			uscc_typid;		/* the uscc column's base type (uscc, or text to parse) */
	/* index probes */
	Relation	idx;
	IndexScanDesc iscan;
	RegProcedure eqproc;
	caent_iterator it;
	CaEntEntry *ient;			/* enterprise being probed, NULL before the first */
	/* heap scan */
	TableScanDesc scan;
	bool		direct;			/* the column is uscc: read its bytes */
	AttrNumber	date_deform;
	CaPagePrefetch *pf;
} CaLeafCursor;

static void
ca_leaf_open(CaScan *sc, CaLeafCursor *lc, const CaGuarded *g, const CaLeaf *l,
			 ParallelTableScanDesc pscan)
{
	memset(lc, 0, sizeof(CaLeafCursor));
	lc->g = g;
	lc->l = l;
	lc->rel = table_open(l->relid, AccessShareLock);
	lc->desc = RelationGetDescr(lc->rel);
	lc->slot = table_slot_create(lc->rel, NULL);
	lc->uscc_type = ca_uscc_type_oid();
	lc->uscc_typid = getBaseType(TupleDescAttr(lc->desc, l->uscc_att - 1)->atttypid);

	/* a probe costs a few page reads; a scan reads every page once */
	if (sc->allow_probe && lc->uscc_typid == lc->uscc_type &&
		(BlockNumber) sc->nent * 4 <= RelationGetNumberOfBlocks(lc->rel))
		lc->idx = ca_uscc_index(lc->rel, l->uscc_att, lc->uscc_type, &lc->eqproc);

	if (lc->idx != NULL)
	{
		lc->iscan = index_beginscan(lc->rel, lc->idx, sc->snapshot, 1, 0);
		caent_start_iterate(sc->set->byent, &lc->it);
		return;
	}
	/* a parallel scan (audit() under Gather): this process reads the blocks it is handed */
	lc->scan = pscan != NULL ? table_beginscan_parallel(lc->rel, pscan)
		: table_beginscan(lc->rel, sc->snapshot, 0, NULL);
	lc->direct = (lc->uscc_typid == lc->uscc_type);
	lc->date_deform = Max(l->uscc_att, l->date_att);
#if PG_VERSION_NUM < 180000
	/* heap in page-at-a-time mode: look up a whole page's enterprises up front */
	if (lc->direct && lc->rel->rd_tableam == GetHeapamTableAmRoutine() &&
		(lc->scan->rs_flags & SO_ALLOW_PAGEMODE) != 0)
	{
		lc->pf = palloc(sizeof(CaPagePrefetch));
		lc->pf->block = InvalidBlockNumber;
	}
#endif
}

/*
 * The next row that may be flagged, in lc->slot, deformed up to the leaf's last needed
 * column: *ent is its enterprise, *u its code, *d its date.  False at the end.
 */
static inline bool
ca_leaf_next(CaScan *sc, CaLeafCursor *lc, CaEntEntry **ent, Uscc *u, DateADT *d)
{
	const CaLeaf *l = lc->l;
	TupleTableSlot *slot = lc->slot;

	if (lc->idx != NULL)
	{
		for (;;)
		{
			CHECK_FOR_INTERRUPTS();
			if (lc->ient != NULL && index_getnext_slot(lc->iscan, ForwardScanDirection, slot))
			{
				slot_getsomeattrs(slot, l->maxatt);
				if (ca_value_date(slot->tts_values[l->date_att - 1],
								  slot->tts_isnull[l->date_att - 1], l->date_typid, d) &&
					*d >= lc->ient->lo && *d < lc->ient->hi)
				{
					*ent = lc->ient;
					*u = lc->ient->key;
					return true;
				}
				continue;
			}
			/* the next enterprise of the set */
			if ((lc->ient = caent_iterate(sc->set->byent, &lc->it)) == NULL)
				return false;
			{
				ScanKeyData skey;

				ScanKeyInit(&skey, 1, BTEqualStrategyNumber, lc->eqproc,
							UsccPGetDatum(&lc->ient->key));
				index_rescan(lc->iscan, &skey, 1, NULL, 0);
			}
		}
	}

	while (table_scan_getnextslot(lc->scan, ForwardScanDirection, slot))
	{
		CHECK_FOR_INTERRUPTS();
		if (lc->pf != NULL &&
			ca_page_lookup(sc, lc->pf, (HeapScanDesc) lc->scan, lc->desc, l, slot, ent, d))
		{
			/* looked up, date read and checked against the summary already */
			if (*ent == NULL)
				continue;
			slot_getsomeattrs(slot, l->maxatt);
			*u = (*ent)->key;
			return true;
		}

		/* deform only up to the uscc column; the rest only for listed enterprises */
		slot_getsomeattrs(slot, l->uscc_att);
		if (slot->tts_isnull[l->uscc_att - 1])
			continue;
		if (lc->direct)
			memcpy(u->bytes, DatumGetPointer(slot->tts_values[l->uscc_att - 1]), USCC_PACKED_LEN);
		else
		{
			bool		ok;
			MemoryContext old = MemoryContextSwitchTo(sc->rowcxt);

			ok = ca_value_uscc(slot->tts_values[l->uscc_att - 1], false, lc->uscc_typid,
							   lc->uscc_type, u);
			MemoryContextSwitchTo(old);
			MemoryContextReset(sc->rowcxt);
			if (!ok)
				continue;
		}
		*ent = caent_lookup(sc->set->byent, *u);
		if (*ent == NULL)
			continue;

		/* the date, then the enterprise's summary, before touching its sanctions */
		slot_getsomeattrs(slot, lc->date_deform);
		if (!ca_value_date(slot->tts_values[l->date_att - 1],
						   slot->tts_isnull[l->date_att - 1], l->date_typid, d) ||
			*d < (*ent)->lo || *d >= (*ent)->hi)
			continue;
		slot_getsomeattrs(slot, l->maxatt);
		return true;
	}
	return false;
}

static void
ca_leaf_close(CaLeafCursor *lc)
{
	if (lc->idx != NULL)
	{
		index_endscan(lc->iscan);
		index_close(lc->idx, AccessShareLock);
	}
	else
	{
		if (lc->pf != NULL)
			pfree(lc->pf);
		table_endscan(lc->scan);
	}
	ExecDropSingleTupleTableSlot(lc->slot);
	table_close(lc->rel, AccessShareLock);
	lc->rel = NULL;
}

static void
ca_scan_leaf(CaScan *sc, const CaGuarded *g, const CaLeaf *l)
{
	CaLeafCursor lc;
	CaEntEntry *ent;
	Uscc		u;
	DateADT		d;

	ca_leaf_open(sc, &lc, g, l, NULL);
	while (ca_leaf_next(sc, &lc, &ent, &u, &d))
		ca_scan_row(sc, g, l, lc.slot, ent, &u, d);
	ca_leaf_close(&lc);
}

static void
ca_scan_all(CaScan *sc)
{
	sc->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "credit_audit audit row",
									   ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < sc->ac->nguarded; i++)
	{
		const CaGuarded *g = &sc->ac->guarded[i];

		for (int j = 0; j < g->nleaves; j++)
			ca_scan_leaf(sc, g, &g->leaves[j]);
	}
	MemoryContextDelete(sc->rowcxt);
}

/* ---- sinks ---- */

typedef struct CaFindingSink
{
	const CaAuditContext *ac;
	const CaSanctionSet *set;
	CaFindingBatch *batch;		/* the sanctions were inserted by this statement: all new */
	int64		added;
} CaFindingSink;

static void
ca_sink_finding(const CaAuditRow *row, void *arg)
{
	CaFindingSink *fs = arg;
	CaFinding	f;

	f.kind = ca_kind_names[row->kind];
	f.source_table = row->g->source_table;
	f.source_key = TextDatumGetCString(row->source_key);
	f.uscc = row->uscc;
	f.program = row->program != (Datum) 0 ? TextDatumGetCString(row->program) : NULL;
	f.grant_date = row->grant_date;
	f.amount = row->amount;
	f.sanction_id = row->sanction->id;
	f.sanction_department = fs->set->depts[row->sanction->department];
	f.paying_department = ca_program_department(fs->ac, f.program);
	if (fs->batch != NULL)
		ca_finding_batch_add(fs->batch, &f);
	else if (ca_finding_add(&f) != 0)
		fs->added++;
}

/* The row as audit()'s 8 columns (kind_text: the two kinds as text datums). */
static inline void
ca_row_values(const CaAuditRow *row, const Datum *kind_text, Datum *values, bool *nulls)
{
	values[0] = row->g->source_table_text;
	values[1] = row->source_key;
	values[2] = UsccPGetDatum(row->uscc);
	values[3] = row->program;
	values[4] = DateADTGetDatum(row->grant_date);
	values[5] = row->amount;
	values[6] = Int64GetDatum(row->sanction->id);
	values[7] = kind_text[row->kind];
	for (int i = 0; i < CA_AUDIT_NATTS; i++)
		nulls[i] = false;
	nulls[3] = (row->program == (Datum) 0);
}

/* ---- the sweep: audit() and refresh_findings() ---- */

/*
 * The caller must be able to read what the sweep reads (it bypasses the executor): SELECT on
 * every table, and no row-level security policy that would hide rows from the caller (the
 * sweep reads every row; it cannot apply a policy, so it refuses rather than show more).
 */
static void
ca_sweep_check_access(const CaAuditContext *ac)
{
	Oid			user = GetUserId();
	Oid			rels[2] = {ca_relation_oid(CA_REL_SANCTION), InvalidOid};

	for (int i = 0; i < ac->nguarded + 1; i++)
	{
		Oid			relid = i == 0 ? rels[0] : ac->guarded[i - 1].relid;
		AclResult	acl = pg_class_aclcheck(relid, user, ACL_SELECT);

		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_TABLE, get_rel_name(relid));
		if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("the audit cannot read table \"%s\" under its row-level security",
							get_rel_name(relid)),
					 errdetail("The audit reads every row of the guarded tables; a policy of this table limits the rows this role may see."),
					 errhint("Run the audit as a role that row-level security does not restrict: the table's owner, or a role with BYPASSRLS.")));
	}
}

/*
 * refresh_findings(): every non-revoked sanction against every guarded table, under the
 * query's snapshot, every row handed to ca_finding_add(); returns the number added.
 */
static int64
ca_sweep_findings(void)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "credit_audit sweep",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	CaAuditContext ac = {0};
	CaSanctionSet *set;
	CaScan		sc = {0};
	CaFindingSink fs = {0};
	Snapshot	snapshot = RegisterSnapshot(GetActiveSnapshot());

	ac.cxt = cxt;
	ca_context_load(&ac, true);
	ca_sweep_check_access(&ac);
	set = ca_set_create(cxt);
	ca_set_load_all(set, snapshot);

	sc.ac = &ac;
	sc.set = set;
	sc.snapshot = snapshot;
	sc.with_retroactive = true;
	sc.allow_probe = false;
	sc.nent = ca_set_build(set, true);
	fs.ac = &ac;
	fs.set = set;
	sc.sink = ca_sink_finding;
	sc.arg = &fs;
	ca_scan_all(&sc);

	UnregisterSnapshot(snapshot);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return fs.added;
}

/* ---- audit(): the sweep as a stream of rows ---- */

/*
 * Shared state of a parallel audit() scan, in the parallel query's DSM: one parallel heap scan
 * per leaf, in the order every participant opens them.  The leader fills it in
 * (ca_audit_parallel_*); each participant loads the sanctions itself (the same snapshot gives
 * the same set) and takes blocks of each leaf from the shared scan.
 */
struct CaAuditParallel
{
	int			nleaves;
	Size		size;			/* of the whole struct */
	/* then Oid relids[nleaves], Size offsets[nleaves] (of each ParallelTableScanDesc) */
	char		data[FLEXIBLE_ARRAY_MEMBER];
};

#define CA_PAR_RELIDS(p) ((Oid *) (p)->data)
#define CA_PAR_OFFSETS(p) ((Size *) ((p)->data + MAXALIGN(sizeof(Oid) * (p)->nleaves)))

struct CaAuditStream
{
	MemoryContext cxt;			/* everything below, and the sanctions */
	CaAuditParallel *par;		/* NULL unless a parallel scan */
	int			leafno;			/* leaves opened so far */
	CaAuditContext ac;
	CaScan		sc;
	int			next_guarded;	/* the next leaf to open: guarded[next_guarded].leaves[next_leaf] */
	int			next_leaf;
	bool		leaf_open;
	CaLeafCursor lc;
	bool		in_row;			/* lc.slot holds a flagged row with matches from pos on */
	CaEntEntry *ent;
	Uscc		uscc;
	DateADT		date;
	uint32		pos;
	CaAuditRow	row;
	CaKeyBuf	keybuf;
	Datum		kind_text[2];
};

/* The leaf relations of the guarded tables, in the order a stream reads them. */
static List *
ca_audit_leaves(const CaAuditContext *ac)
{
	List	   *leaves = NIL;

	for (int i = 0; i < ac->nguarded; i++)
		for (int j = 0; j < ac->guarded[i].nleaves; j++)
			leaves = lappend_oid(leaves, ac->guarded[i].leaves[j].relid);
	return leaves;
}

/*
 * Leader, before the workers start: the shared state's size for the guarded tables as the
 * snapshot sees them (*leaves gets their list, for ca_audit_parallel_init()).
 */
Size
ca_audit_parallel_estimate(Snapshot snapshot, List **leaves)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "credit_audit audit",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	CaAuditContext ac = {0};
	List	   *result;
	Size		size;
	ListCell   *lc;

	ac.cxt = cxt;
	ca_context_load(&ac, false);
	MemoryContextSwitchTo(old);
	result = ca_audit_leaves(&ac);
	MemoryContextDelete(cxt);

	size = MAXALIGN(offsetof(CaAuditParallel, data)) +
		MAXALIGN(sizeof(Oid) * list_length(result)) +
		MAXALIGN(sizeof(Size) * list_length(result));
	foreach(lc, result)
	{
		Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);

		size = add_size(size, MAXALIGN(table_parallelscan_estimate(rel, snapshot)));
		table_close(rel, NoLock);
	}
	*leaves = result;
	return size;
}

/* Leader: fill in the shared state (size bytes at par) for the leaves estimated. */
void
ca_audit_parallel_init(CaAuditParallel *par, Size size, List *leaves, Snapshot snapshot)
{
	Size		off;
	int			i = 0;
	ListCell   *lc;

	par->nleaves = list_length(leaves);
	par->size = size;
	off = MAXALIGN(offsetof(CaAuditParallel, data)) +
		MAXALIGN(sizeof(Oid) * par->nleaves) + MAXALIGN(sizeof(Size) * par->nleaves);
	foreach(lc, leaves)
	{
		Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);

		CA_PAR_RELIDS(par)[i] = lfirst_oid(lc);
		CA_PAR_OFFSETS(par)[i] = off;
		table_parallelscan_initialize(rel, (ParallelTableScanDesc) ((char *) par + off), snapshot);
		off += MAXALIGN(table_parallelscan_estimate(rel, snapshot));
		table_close(rel, NoLock);
		i++;
	}
	Assert(off <= size);
}

/* Leader, before a rescan: every leaf's parallel scan starts over. */
void
ca_audit_parallel_reinit(CaAuditParallel *par)
{
	for (int i = 0; i < par->nleaves; i++)
	{
		Relation	rel = table_open(CA_PAR_RELIDS(par)[i], AccessShareLock);

		table_parallelscan_reinitialize(rel, (ParallelTableScanDesc)
										((char *) par + CA_PAR_OFFSETS(par)[i]));
		table_close(rel, NoLock);
	}
}

CaAuditStream *
ca_audit_stream_begin(CaBasis basis, Snapshot snapshot, CaAuditParallel *par)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "credit_audit audit",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	CaAuditStream *st = palloc0(sizeof(CaAuditStream));
	CaSanctionSet *set;

	st->cxt = cxt;
	st->par = par;
	st->ac.cxt = cxt;
	ca_context_load(&st->ac, false);
	ca_sweep_check_access(&st->ac);
	if (par != NULL)
	{
		/* every participant must read the leaves the leader set up, in its order */
		List	   *leaves = ca_audit_leaves(&st->ac);
		bool		same = list_length(leaves) == par->nleaves;

		for (int i = 0; same && i < par->nleaves; i++)
			same = list_nth_oid(leaves, i) == CA_PAR_RELIDS(par)[i];
		if (!same)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("the guarded tables changed while a parallel audit() started"),
					 errhint("Run the query again.")));
	}
	set = ca_set_create(cxt);
	ca_set_load_all(set, snapshot);
	st->sc.ac = &st->ac;
	st->sc.set = set;
	st->sc.snapshot = snapshot;
	st->sc.with_retroactive = (basis == CA_BASIS_FACT);
	st->sc.allow_probe = false;
	st->sc.nent = ca_set_build(set, st->sc.with_retroactive);
	st->sc.rowcxt = AllocSetContextCreate(cxt, "credit_audit audit row", ALLOCSET_DEFAULT_SIZES);
	st->kind_text[CA_KIND_PWL] = CStringGetTextDatum(ca_kind_names[CA_KIND_PWL]);
	st->kind_text[CA_KIND_RETRO] = CStringGetTextDatum(ca_kind_names[CA_KIND_RETRO]);
	MemoryContextSwitchTo(old);
	return st;
}

bool
ca_audit_stream_next(CaAuditStream *st, Datum *values, bool *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(st->cxt);

	for (;;)
	{
		const CaGuarded *g;

		if (st->in_row &&
			ca_row_next_match(&st->sc, st->ent, st->date, &st->pos, &st->row))
		{
			ca_row_values(&st->row, st->kind_text, values, nulls);
			MemoryContextSwitchTo(old);
			return true;
		}
		st->in_row = false;
		MemoryContextReset(st->sc.rowcxt);

		if (!st->leaf_open)
		{
			while (st->next_guarded < st->ac.nguarded &&
				   st->next_leaf >= st->ac.guarded[st->next_guarded].nleaves)
			{
				st->next_guarded++;
				st->next_leaf = 0;
			}
			if (st->next_guarded >= st->ac.nguarded)
			{
				MemoryContextSwitchTo(old);
				return false;
			}
			g = &st->ac.guarded[st->next_guarded];
			ca_leaf_open(&st->sc, &st->lc, g, &g->leaves[st->next_leaf++],
						 st->par == NULL ? NULL : (ParallelTableScanDesc)
						 ((char *) st->par + CA_PAR_OFFSETS(st->par)[st->leafno]));
			st->leafno++;
			st->leaf_open = true;
		}
		if (!ca_leaf_next(&st->sc, &st->lc, &st->ent, &st->uscc, &st->date))
		{
			ca_leaf_close(&st->lc);
			st->leaf_open = false;
			continue;
		}
		if (!ca_row_any(&st->sc, st->ent, st->date))
			continue;
		MemoryContextSwitchTo(st->sc.rowcxt);
		ca_row_prepare(st->lc.g, st->lc.l, st->lc.slot, &st->uscc, st->date, &st->keybuf,
					   &st->row);
		MemoryContextSwitchTo(st->cxt);
		st->pos = 0;
		st->in_row = true;
	}
}

void
ca_audit_stream_end(CaAuditStream *st)
{
	if (st->leaf_open)
		ca_leaf_close(&st->lc);
	MemoryContextDelete(st->cxt);
}

/*
 * audit() called as a function (materialize mode; in FROM the planner normally replaces the
 * call by the streaming scan of audit_scan.c, which reads the same stream without a
 * tuplestore).
 */
Datum
ca_audit(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *basis_text = text_to_cstring(PG_GETARG_TEXT_PP(0));
	CaBasis		basis = ca_parse_basis(basis_text);
	TupleDesc	desc;
	MemoryContext old;
	Tuplestorestate *store;
	CaAuditStream *st;
	Snapshot	snapshot;
	Datum		values[CA_AUDIT_NATTS];
	bool		nulls[CA_AUDIT_NATTS];

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("materialize mode required, but it is not allowed in this context")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (desc->natts != CA_AUDIT_NATTS)
		elog(ERROR, "credit_audit.audit() must return %d columns", CA_AUDIT_NATTS);

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	desc = CreateTupleDescCopy(desc);
	store = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0,
								  false, work_mem);
	MemoryContextSwitchTo(old);

	snapshot = RegisterSnapshot(GetActiveSnapshot());
	st = ca_audit_stream_begin(basis, snapshot, NULL);
	while (ca_audit_stream_next(st, values, nulls))
		tuplestore_putvalues(store, desc, values, nulls);
	ca_audit_stream_end(st);
	UnregisterSnapshot(snapshot);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = store;
	rsinfo->setDesc = desc;
	return (Datum) 0;
}

Datum
ca_refresh_findings(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(ca_sweep_findings());
}

/* ---- the sanction trigger ---- */

/* Dismiss the open findings of the batch's revoked sanctions (as the extension owner). */
static void
ca_dismiss_revoked(TriggerData *trigdata)
{
	int			rc;

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed: %s", SPI_result_code_string(rc));
	if ((rc = SPI_register_trigger_data(trigdata)) != SPI_OK_TD_REGISTER)
		elog(ERROR, "SPI_register_trigger_data failed: %s", SPI_result_code_string(rc));
	rc = SPI_execute("UPDATE credit_audit.finding f"
					 " SET status = 'dismissed'"
					 " FROM ca_new n"
					 " WHERE f.sanction_id OPERATOR(pg_catalog.=) n.id"
					 " AND n.removal_reason OPERATOR(pg_catalog.=) 'revoked'"
					 " AND f.status OPERATOR(pg_catalog.=) 'open'", false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "SPI_execute failed dismissing findings: %s", SPI_result_code_string(rc));
	if ((rc = SPI_finish()) != SPI_OK_FINISH)
		elog(ERROR, "SPI_finish failed: %s", SPI_result_code_string(rc));
}

/*
 * BEFORE INSERT OR UPDATE row trigger on sanction: lock the enterprise's row FOR UPDATE before
 * the sanction row is written.  Taking it here, before the foreign-key check takes KEY SHARE on
 * the same row, means two transactions writing sanctions of one enterprise queue on the lock
 * instead of both holding KEY SHARE and deadlocking when each tries to upgrade.  The lock
 * conflicts with the KEY SHARE every grant writer of the enterprise holds, so the statement
 * trigger's scan (which runs after all of the statement's locks) sees every such grant.
 */
Datum
ca_sanction_lock_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	desc;
	int			uscc_att;
	Datum		uscc;
	bool		isnull;
	Relation	rel;
	Relation	idx;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	ScanKeyData skey;
	Snapshot	snapshot;
	Oid			op;
	bool		found;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						"credit_audit.sanction_lock")));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		  TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired BEFORE INSERT OR UPDATE FOR EACH ROW",
						"credit_audit.sanction_lock")));

	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
		trigdata->tg_newtuple : trigdata->tg_trigtuple;
	desc = RelationGetDescr(trigdata->tg_relation);
	uscc_att = SPI_fnumber(desc, "uscc");
	if (uscc_att <= 0)
		elog(ERROR, "column \"uscc\" of credit_audit.sanction is missing");
	uscc = heap_getattr(tuple, uscc_att, desc, &isnull);
	if (isnull)
		return PointerGetDatum(tuple);	/* NOT NULL will refuse the row */

	rel = table_open(ca_relation_oid(CA_REL_ENTERPRISE), RowShareLock);
	idx = index_open(ca_relation_oid(CA_REL_ENTERPRISE_PKEY), RowShareLock);
	op = get_opfamily_member(idx->rd_opfamily[0], idx->rd_opcintype[0], idx->rd_opcintype[0],
							 BTEqualStrategyNumber);
	if (!OidIsValid(op))
		elog(ERROR, "no equality operator for the enterprise key");
	ScanKeyInit(&skey, 1, BTEqualStrategyNumber, get_opcode(op), uscc);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	slot = table_slot_create(rel, NULL);
	scan = index_beginscan(rel, idx, snapshot, 1, 0);
	index_rescan(scan, &skey, 1, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	if (found)
	{
		ItemPointerData tid = slot->tts_tid;
		TM_FailureData tmfd;
		TM_Result	res;

		res = table_tuple_lock(rel, &tid, snapshot, slot, GetCurrentCommandId(false),
							   LockTupleExclusive, LockWaitBlock,
							   TUPLE_LOCK_FLAG_FIND_LAST_VERSION, &tmfd);
		switch (res)
		{
			case TM_Ok:
			case TM_SelfModified:	/* updated by ourselves: we hold it already */
				break;
			case TM_Deleted:
				break;			/* gone: the foreign-key check refuses the sanction */
			case TM_Updated:	/* only under REPEATABLE READ / SERIALIZABLE */
				ereport(ERROR,
						(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
						 errmsg("could not serialize access due to concurrent update")));
				break;
			default:
				elog(ERROR, "unexpected table_tuple_lock status: %u", res);
		}
	}
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snapshot);
	index_close(idx, NoLock);
	table_close(rel, NoLock);
	return PointerGetDatum(tuple);
}

Datum
ca_sanction_audit_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Tuplestorestate *newtable;
	Oid			save_userid;
	int			save_sec;
	MemoryContext cxt;
	MemoryContext old;
	CaSanctionSet *set;
	CaSanctionAtts atts;
	TupleTableSlot *slot;
	bool		any_revoked = false;
	int			ptr;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager",
						"credit_audit.sanction_audit")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) ||
		  TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired AFTER INSERT or UPDATE FOR EACH STATEMENT",
						"credit_audit.sanction_audit")));
	newtable = trigdata->tg_newtable;
	if (newtable == NULL || trigdata->tg_trigger->tgnewtable == NULL ||
		strcmp(trigdata->tg_trigger->tgnewtable, "ca_new") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" needs REFERENCING NEW TABLE AS ca_new",
						"credit_audit.sanction_audit")));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "credit_audit sanction trigger",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);

	/* the batch: the statement's new rows, revoked ones apart */
	set = ca_set_create(cxt);
	slot = MakeSingleTupleTableSlot(RelationGetDescr(trigdata->tg_relation), &TTSOpsMinimalTuple);
	ca_sanction_atts(RelationGetDescr(trigdata->tg_relation), &atts);
	ptr = tuplestore_alloc_read_pointer(newtable, EXEC_FLAG_REWIND);
	tuplestore_select_read_pointer(newtable, ptr);
	tuplestore_rescan(newtable);
	while (tuplestore_gettupleslot(newtable, true, false, slot))
	{
		MemoryContext inner = MemoryContextSwitchTo(set->cxt);

		CHECK_FOR_INTERRUPTS();
		if (ca_set_add_slot(set, &atts, slot))
			any_revoked = true;
		MemoryContextSwitchTo(inner);
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_select_read_pointer(newtable, 0);

	if (set->n > 0 || any_revoked)
	{
		CaAuditContext ac = {0};
		CaScan		sc = {0};
		Snapshot	snapshot;
		CaFindingSink fs = {0};

		GetUserIdAndSecContext(&save_userid, &save_sec);
		SetUserIdAndSecContext(ca_extension_owner(),
							   save_sec | SECURITY_LOCAL_USERID_CHANGE | SECURITY_NOFORCE_RLS);

		if (any_revoked)
			ca_dismiss_revoked(trigdata);

		if (set->n > 0)
		{
			/*
			 * The enterprises' rows were locked FOR UPDATE row by row before the sanctions
			 * were written (ca_sanction_lock_trigger); a snapshot taken now sees every grant
			 * committed before those locks were granted.
			 */
			snapshot = RegisterSnapshot(GetLatestSnapshot());
			ac.cxt = cxt;
			ca_context_load(&ac, true);
			sc.ac = &ac;
			sc.set = set;
			sc.snapshot = snapshot;
			sc.with_retroactive = true;
			sc.allow_probe = true;
			sc.nent = ca_set_build(set, true);
			fs.ac = &ac;
			fs.set = set;
			if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
				fs.batch = ca_finding_batch_begin();
			sc.sink = ca_sink_finding;
			sc.arg = &fs;
			ca_scan_all(&sc);
			if (fs.batch != NULL)
				ca_finding_batch_end(fs.batch);
			UnregisterSnapshot(snapshot);
		}

		SetUserIdAndSecContext(save_userid, save_sec);
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return PointerGetDatum(NULL);
}
