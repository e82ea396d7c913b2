/* output_int.h: what the HTML report's files share (audit_html.c writes
 * the sections, audit_assets.c the page around them).  Private to
 * src/output/. */
#ifndef PSCAN_OUTPUT_INT_H
#define PSCAN_OUTPUT_INT_H

#include <stdio.h>

#include "pscan/escape.h"

/* The page up to <body>, with its style sheet and security policy. */
void ps_html_head(FILE *fp, const char *title);
/* The script and the end of the page. */
void ps_html_foot(FILE *fp);
/* Text for an element or a double-quoted attribute: escaped as for XML
 * (controls and invalid UTF-8 as \xHH, & < > " ' as entities), which is
 * just as safe in HTML. */
void ps_html_text(FILE *fp, const char *s);

#endif
