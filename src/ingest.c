/*
 * ingest.c
 *	  Staging normalization and ingestion.
 *
 * Placeholder: implemented on its own branch.
 */
#include "credit_audit.h"
