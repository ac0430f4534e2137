/*
 * common.c
 *	  Cached OIDs of the extension's schema, relations, types and severity enum values.
 *
 * Every module looks these up in its hot path (triggers run once per row), so they are resolved
 * once per backend and dropped whenever pg_namespace, pg_type or pg_enum changes or one of the
 * cached relations gets a relcache invalidation (DROP EXTENSION drops the relations and types
 * but keeps the schema it created, so a schema invalidation alone is not enough).
 *
 * A lookup can itself process invalidations (a catalog read takes a lock, which accepts them),
 * so one may reset the cache while a value is being looked up.  A value is therefore cached only
 * if no reset happened during its lookup (ca_resets unchanged); it is returned all the same.
 * (debug_discard_caches = 1 resets at every lookup: nothing is ever cached, and all still works.)
 */
#include "credit_audit.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "utils/builtins.h"
#include "utils/catcache.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

#define CA_SCHEMA "credit_audit"

static const char *const ca_relation_names[CA_REL__COUNT] = {
	[CA_REL_ENTERPRISE] = "enterprise",
	[CA_REL_ENTERPRISE_PKEY] = "enterprise_pkey",
	[CA_REL_SANCTION] = "sanction",
	[CA_REL_SANCTION_USCC_IDX] = "sanction_natural_key",
	[CA_REL_CREDIT_EVENT] = "credit_event",
	[CA_REL_CREDIT_EVENT_USCC_IDX] = "credit_event_uscc_idx",
	[CA_REL_SCORE_RULE] = "score_rule",
	[CA_REL_PROGRAM] = "program",
	[CA_REL_PROGRAM_PKEY] = "program_pkey",
	[CA_REL_FINDING] = "finding",
	[CA_REL_GUARDED_TABLE] = "guarded_table",
	[CA_REL_FINDING_UNIQUE] = "finding_unique",
};

static const char *const ca_severity_names[CA_SEVERITY_COUNT] = {"minor", "general", "serious"};

static bool ca_callback_registered = false;
static Oid	ca_cached_schema = InvalidOid;
static Oid	ca_cached_rel[CA_REL__COUNT];
static Oid	ca_cached_uscc_type = InvalidOid;
static Oid	ca_cached_severity_type = InvalidOid;
static Oid	ca_cached_owner = InvalidOid;
static Oid	ca_cached_severity[CA_SEVERITY_COUNT];	/* all valid or all invalid */
static uint64 ca_resets = 0;	/* resets so far */

static void
ca_reset_cache(Datum arg, int cacheid, uint32 hashvalue)
{
	ca_resets++;
	ca_cached_schema = InvalidOid;
	memset(ca_cached_rel, 0, sizeof(ca_cached_rel));
	ca_cached_uscc_type = InvalidOid;
	ca_cached_severity_type = InvalidOid;
	ca_cached_owner = InvalidOid;
	memset(ca_cached_severity, 0, sizeof(ca_cached_severity));
}

/*
 * DROP EXTENSION keeps the schema it created (the extension depends on its schema, not the
 * reverse), so a dropped and re-created extension sends no pg_namespace invalidation: watch
 * the cached relations and the types too.
 */
static void
ca_reset_rel_cache(Datum arg, Oid relid)
{
	if (!OidIsValid(relid))
	{
		ca_reset_cache(arg, 0, 0);
		return;
	}
	for (int i = 0; i < CA_REL__COUNT; i++)
		if (ca_cached_rel[i] == relid)
		{
			ca_reset_cache(arg, 0, 0);
			return;
		}
}

Oid
ca_schema_oid(void)
{
	if (!ca_callback_registered)
	{
		CacheRegisterSyscacheCallback(NAMESPACEOID, ca_reset_cache, (Datum) 0);
		CacheRegisterSyscacheCallback(TYPEOID, ca_reset_cache, (Datum) 0);
		CacheRegisterSyscacheCallback(ENUMOID, ca_reset_cache, (Datum) 0);
		CacheRegisterRelcacheCallback(ca_reset_rel_cache, (Datum) 0);
		ca_callback_registered = true;
	}
	if (!OidIsValid(ca_cached_schema))
	{
		uint64		seen = ca_resets;
		Oid			nsp = get_namespace_oid(CA_SCHEMA, true);

		if (!OidIsValid(nsp))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_SCHEMA),
					 errmsg("schema \"%s\" does not exist", CA_SCHEMA),
					 errhint("Run CREATE EXTENSION credit_audit.")));
		if (seen == ca_resets)
			ca_cached_schema = nsp;
		return nsp;
	}
	return ca_cached_schema;
}

Oid
ca_relation_oid(CaRelId rel)
{
	Oid			relid;

	Assert(rel >= 0 && rel < CA_REL__COUNT);
	relid = ca_cached_rel[rel];
	if (!OidIsValid(relid))
	{
		uint64		seen = ca_resets;

		relid = get_relname_relid(ca_relation_names[rel], ca_schema_oid());
		if (!OidIsValid(relid))
			elog(ERROR, "relation \"%s.%s\" of extension credit_audit is missing",
				 CA_SCHEMA, ca_relation_names[rel]);
		if (seen == ca_resets)
			ca_cached_rel[rel] = relid;
	}
	return relid;
}

static Oid
ca_lookup_type(const char *name)
{
	Oid			typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum(name),
										ObjectIdGetDatum(ca_schema_oid()));

	if (!OidIsValid(typid))
		elog(ERROR, "type \"%s.%s\" of extension credit_audit is missing", CA_SCHEMA, name);
	return typid;
}

/* The type called name, through *cache. */
static Oid
ca_cached_type(Oid *cache, const char *name)
{
	Oid			typid = *cache;

	if (!OidIsValid(typid))
	{
		uint64		seen = ca_resets;

		typid = ca_lookup_type(name);
		if (seen == ca_resets)
			*cache = typid;
	}
	return typid;
}

Oid
ca_uscc_type_oid(void)
{
	return ca_cached_type(&ca_cached_uscc_type, "uscc");
}

Oid
ca_severity_type_oid(void)
{
	return ca_cached_type(&ca_cached_severity_type, "severity");
}

Oid
ca_extension_owner(void)
{
	Oid			owner = ca_cached_owner;

	if (!OidIsValid(owner))
	{
		uint64		seen = ca_resets;
		Oid			nsp = ca_schema_oid();
		/* the extension owns its schema; its owner is the extension's owner */
		HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for schema %u", nsp);
		owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
		ReleaseSysCache(tup);
		if (seen == ca_resets)
			ca_cached_owner = owner;
	}
	return owner;
}

/* The severity enum's values in rank order: the cached ones, or looked up into buf. */
static const Oid *
ca_severities(Oid *buf)
{
	uint64		seen;
	Oid			typid;

	if (OidIsValid(ca_cached_severity[0]))
		return ca_cached_severity;
	seen = ca_resets;
	typid = ca_severity_type_oid();
	for (int i = 0; i < CA_SEVERITY_COUNT; i++)
	{
		HeapTuple	tup = SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(typid),
										  CStringGetDatum(ca_severity_names[i]));

		if (!HeapTupleIsValid(tup))
			elog(ERROR, "severity value \"%s\" is missing", ca_severity_names[i]);
		buf[i] = ((Form_pg_enum) GETSTRUCT(tup))->oid;
		ReleaseSysCache(tup);
	}
	/* all or nothing: a reset in the middle must not leave some values cached */
	if (seen == ca_resets)
		memcpy(ca_cached_severity, buf, sizeof(ca_cached_severity));
	return buf;
}

int
ca_severity_rank(Oid enumval)
{
	Oid			buf[CA_SEVERITY_COUNT];
	const Oid  *sev = ca_severities(buf);

	for (int i = 0; i < CA_SEVERITY_COUNT; i++)
		if (sev[i] == enumval)
			return i;
	elog(ERROR, "invalid severity value %u", enumval);
	return -1;					/* keep compiler quiet */
}

Oid
ca_severity_oid(int rank)
{
	Oid			buf[CA_SEVERITY_COUNT];

	if (rank < 0 || rank >= CA_SEVERITY_COUNT)
		elog(ERROR, "invalid severity rank %d", rank);
	return ca_severities(buf)[rank];
}

const char *
ca_severity_name(int rank)
{
	if (rank < 0 || rank >= CA_SEVERITY_COUNT)
		elog(ERROR, "invalid severity rank %d", rank);
	return ca_severity_names[rank];
}
