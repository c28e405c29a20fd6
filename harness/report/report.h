/*
** report: the run's HTML page, results/<run>/index.html. One file that
** opens from file:// with no network: the page's template, stylesheet and
** script (page.html, page.css, page.js in the data folder's report/) are
** copied in, and each scenario's evidence is embedded as JSON for the
** script to draw: its test points and diagnostics, its events, and a
** ladder diagram of every decoded packet between the lab's nodes. A
** reader of what a run left behind (run.tap and the scenario folders),
** it never changes a run's outcome.
*/
#ifndef VPNLAB_REPORT_H
#define VPNLAB_REPORT_H

#include <stddef.h>

/* Packets of one scenario embedded at most; the page says when a timeline was cut. */
#define REPORT_MAX_PACKETS 5000

/* run_dir/index.html from run_dir/run.tap and the folders it names. 0, or -1 with err filled. */
int report_write(const char *run_dir, char *err, size_t errlen);

#endif
