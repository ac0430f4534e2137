/*
 * finding.c
 *	  The one writer of findings and their NOTIFY payloads.
 *
 * Placeholder: implemented on its own branch.
 */
#include "credit_audit.h"
