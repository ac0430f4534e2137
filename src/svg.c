/*
 * svg.c
 *	  timeline_svg(): one enterprise's sanctions and grants as a self-contained SVG.
 *
 * Placeholder: implemented on its own branch.
 */
#include "credit_audit.h"
