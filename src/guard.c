/*
 * guard.c
 *	  guard()/unguard(), eligibility and the grant-table triggers.
 *
 * Placeholder: implemented on its own branch.
 */
#include "credit_audit.h"
