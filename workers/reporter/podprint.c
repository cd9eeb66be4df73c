/*
 * `kubectl get pods -A [-o wide]` as kubectl prints it: the row of
 * printPod (pkg/printers/internalversion/printers.go) and the padding of
 * its tabwriter, from the status rules' view of each pod (podstatus.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pod.h"
#include "podstatus.h"
#include "podview.h"

#define TABLE_COLS		6	/* NAMESPACE .. AGE */
#define TABLE_COLS_WIDE		8	/* and IP, NODE */
#define TABLE_PADDING		3	/* kubectl's tabwriter: padding */
#define TABLE_MINWIDTH		6	/* kubectl's tabwriter: minwidth */
#define CELL_NUM_LEN		64	/* "16/16", "12 (3m2s ago)" */
#define REASON_NUM_LEN		32	/* "ExitCode:-2147483648" */

/* kubectl's translateTimestampSince on an API (whole-second) timestamp */
static void
since(int64_t ts_ns, int64_t now_ns, char *buf, size_t len)
{
	if (ts_ns <= 0) {
		snprintf(buf, len, "<unknown>");
		return;
	}
	podstatus_human_duration(now_ns - (ts_ns / NS_PER_SEC) * NS_PER_SEC,
	    buf, len);
}


enum { COL_NAMESPACE, COL_NAME, COL_READY, COL_STATUS, COL_RESTARTS,
    COL_AGE, COL_IP, COL_NODE };

/*
 * kubectl's wide columns go on with NOMINATED NODE and READINESS GATES:
 * a node agent has no scheduler to nominate and the pod model no
 * readiness gates, so both would always read <none>.
 */
static const char *const table_header[TABLE_COLS_WIDE] = {
	"NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP",
	"NODE"
};

struct table_row {
	const char	*cell[TABLE_COLS_WIDE];
	char		 ready[CELL_NUM_LEN];
	char		 status[REASON_NUM_LEN];
	char		 restarts[CELL_NUM_LEN];
	char		 age[PODSTATUS_DURATION_LEN];
	char		 ip[POD_MAX_IP + 1];
	char		 init_status[POD_MAX_REASON + 8];	/* "Init:..." */
};

/* one container's say in printPod's STATUS; NULL: it has none */
static const char *
container_reason(const struct cview *cv, char *buf, size_t len)
{
	const struct container_report *r = cv->rep;

	switch (cv_state(cv)) {
	case CSTATE_WAITING:
		return cv_waiting_reason(cv);
	case CSTATE_TERMINATED:
		if (nonempty(r->reason))
			return r->reason;
		if (r->signal != 0)
			snprintf(buf, len, "Signal:%d", r->signal);
		else
			snprintf(buf, len, "ExitCode:%d", r->exit_code);
		return buf;
	}
	return NULL;
}

/*
 * printPod's walk of initContainerStatuses: the first init container
 * not done says the STATUS ("Init:" and its reason, or Init:N/M) and the
 * containers' reasons are not looked at; a completed one, and a sidecar
 * that has started (counted READY when ready), are passed over.  1 while
 * initializing.
 */
static int
init_status(const struct pview *pv, struct table_row *row, const char **reason,
    uint32_t *ready)
{
	const struct container_report *r;
	const struct cview *cv;
	uint32_t i;

	for (i = 0; i < pv->n_init; i++) {
		cv = &pv->ic[i];
		r = cv->rep;
		if (cv_state(cv) == CSTATE_TERMINATED && r->exit_code == 0)
			continue;
		if (cv_is_sidecar(cv) && cv_started(cv)) {
			if (cv_ready(cv))
				(*ready)++;
			continue;
		}
		if (cv_state(cv) == CSTATE_TERMINATED) {
			if (nonempty(r->reason))
				snprintf(row->init_status,
				    sizeof(row->init_status), "Init:%s", r->reason);
			else if (r->signal != 0)
				snprintf(row->init_status,
				    sizeof(row->init_status), "Init:Signal:%d", r->signal);
			else
				snprintf(row->init_status,
				    sizeof(row->init_status), "Init:ExitCode:%d", r->exit_code);
		} else if (cv_state(cv) == CSTATE_WAITING &&
		    nonempty(cv_waiting_reason(cv)) &&
		    strcmp(cv_waiting_reason(cv), "PodInitializing") != 0)
			snprintf(row->init_status, sizeof(row->init_status),
			    "Init:%s", cv_waiting_reason(cv));
		else
			snprintf(row->init_status, sizeof(row->init_status),
			    "Init:%u/%u", i, pv->pod->n_init_containers);
		*reason = row->init_status;
		return 1;
	}
	return 0;
}

/* READY's total: the containers and the sidecars */
static uint32_t
ready_total(const struct pview *pv)
{
	uint32_t i, n = pv->pod->n_containers;

	for (i = 0; i < pv->n_init; i++)
		if (cv_is_sidecar(&pv->ic[i]))
			n++;
	return n;
}

/*
 * printPod: the pod reason or phase, overridden by each container's
 * reason walking containerStatuses from the last, so the first (by name)
 * wins; "Completed" with a container still running reads as Running.
 */
static void
row_status(const struct pview *pv, struct table_row *row)
{
	const struct cview *cv;
	const char *reason, *cr;
	uint32_t i, ready = 0;
	int has_running = 0;

	reason = pv->phase;
	if (pv->rep != NULL && nonempty(pv->rep->reason))
		reason = pv->rep->reason;
	else if (pv->denied)
		reason = REASON_DENIED;
	/* the containers speak when not initializing, or once Initialized */
	if (!pv->denied && init_status(pv, row, &reason, &ready) &&
	    !pv->initialized)
		i = 0;
	else
		i = pv->n;
	for (; i > 0 && !pv->denied; i--) {
		cv = &pv->c[pv->byname[i - 1]];
		if ((cr = container_reason(cv, row->status,
		    sizeof(row->status))) != NULL)
			reason = cr;
		else if (cv_ready(cv)) {
			has_running = 1;
			ready++;
		}
	}
	if (strcmp(reason, "Completed") == 0 && has_running)
		reason = pv_is_ready(pv) ? "Running" : "NotReady";
	/* printPod: a pod with a deletionTimestamp, unless it is done */
	if (pv_terminating(pv) && strcmp(pv->phase, PHASE_SUCCEEDED) != 0 &&
	    strcmp(pv->phase, PHASE_FAILED) != 0)
		reason = "Terminating";
	row->cell[COL_STATUS] = reason;
	snprintf(row->ready, sizeof(row->ready), "%u/%u", ready,
	    ready_total(pv));
	row->cell[COL_READY] = row->ready;
}

static void
restarts_add(const struct container_report *r, int64_t *total, int64_t *last)
{
	*total += r->restart_count;
	if (r->has_last && r->last_term.finished_at_ns > *last)
		*last = r->last_term.finished_at_ns;
}

/*
 * printPod's RESTARTS over the init containers it walks (to the first
 * not done): all of theirs while initializing, only the sidecars' after.
 * 1: initializing, the containers' restarts are not added.
 */
static int
init_restarts(const struct pview *pv, int64_t *total, int64_t *last)
{
	int64_t all = 0, all_last = 0, side = 0, side_last = 0;
	const struct cview *cv;
	uint32_t i;
	int initializing = 0;

	for (i = 0; i < pv->n_init && !pv->denied; i++) {
		cv = &pv->ic[i];
		if (cv->rep == NULL) {
			initializing = 1;
			break;
		}
		restarts_add(cv->rep, &all, &all_last);
		if (cv_is_sidecar(cv))
			restarts_add(cv->rep, &side, &side_last);
		if (cv_state(cv) == CSTATE_TERMINATED && cv->rep->exit_code == 0)
			continue;
		if (cv_is_sidecar(cv) && cv_started(cv))
			continue;
		initializing = 1;
		break;
	}
	if (initializing && !pv->initialized) {
		*total = all;
		*last = all_last;
		return 1;
	}
	*total = side;
	*last = side_last;
	return 0;
}

/* "N" or "N (3m2s ago)" from the latest lastState.terminated.finishedAt */
static void
row_restarts(const struct pview *pv, struct table_row *row, int64_t now_ns)
{
	const struct container_report *r;
	char ago[PODSTATUS_DURATION_LEN];
	int64_t last = 0, total = 0;
	uint32_t i = 0;

	if (init_restarts(pv, &total, &last))
		i = pv->n;	/* initializing: the containers' do not count */
	for (; i < pv->n && !pv->denied; i++) {
		if ((r = pv->c[i].rep) == NULL)
			continue;
		total += r->restart_count;
		if (r->has_last && r->last_term.finished_at_ns > last)
			last = r->last_term.finished_at_ns;
	}
	if (total != 0 && last > 0) {
		since(last, now_ns, ago, sizeof(ago));
		snprintf(row->restarts, sizeof(row->restarts),
		    "%lld (%s ago)", (long long)total, ago);
	} else
		snprintf(row->restarts, sizeof(row->restarts), "%lld",
		    (long long)total);
	row->cell[COL_RESTARTS] = row->restarts;
}

/*
 * printPod -o wide: status.podIPs[0] (a hostNetwork pod's are the node's,
 * as in the status) and spec.nodeName, "<none>" when empty.
 */
static void
row_wide(const struct pview *pv, struct table_row *row)
{
	const char *ips = pv->rep != NULL ? pv->rep->pod_ip : NULL;
	size_t n;

	if (!nonempty(ips) && pv->pod->host_network && pv->rep != NULL)
		ips = pv->rep->host_ip;
	if (nonempty(ips) && (n = strcspn(ips, ",")) > 0) {
		if (n >= sizeof(row->ip))
			n = sizeof(row->ip) - 1;
		memcpy(row->ip, ips, n);
		row->ip[n] = '\0';
		row->cell[COL_IP] = row->ip;
	} else
		row->cell[COL_IP] = "<none>";
	row->cell[COL_NODE] = nonempty(pv->pod->node_name) ?
	    pv->pod->node_name : "<none>";
}

static void
row_fill(struct table_row *row, const struct podlist_entry *e, int64_t now_ns)
{
	struct pview pv;

	pview_init(&pv, e->pod, e->rep, now_ns);
	row->cell[COL_NAMESPACE] = nz(e->pod->namespace);
	row->cell[COL_NAME] = nz(e->pod->name);
	row_status(&pv, row);
	row_restarts(&pv, row, now_ns);
	since(pv_start_time(&pv), now_ns, row->age, sizeof(row->age));
	row->cell[COL_AGE] = row->age;
	row_wide(&pv, row);
}

/* tabwriter counts runes, not bytes */
static size_t
utf8_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Cells are printed escaped (str_escape_ctl): a name or a reason with a
 * newline or an escape sequence would forge a row or drive the terminal
 * of whoever runs agentctl.  The executor only accepts names that are
 * DNS labels and subdomains; this holds even if that were bypassed.
 * Widths are those of the escaped text.
 */
#define CELL_ESC_LEN	STR_ESCAPE_MAX(POD_MAX_REASON + 1)

static size_t
cell_width(const char *cell)
{
	char esc[CELL_ESC_LEN];

	str_escape_ctl(esc, sizeof(esc), cell);
	return utf8_width(esc);
}

/* every column but the last is padded; the last is a trailing cell */
static void
column_widths(const struct table_row *rows, size_t nrows, int ncols,
    size_t width[TABLE_COLS_WIDE])
{
	size_t i, w;
	int c;

	for (c = 0; c < ncols; c++) {
		width[c] = 0;
		for (i = 0; i < nrows; i++)
			if ((w = cell_width(rows[i].cell[c])) > width[c])
				width[c] = w;
		width[c] += TABLE_PADDING;
		if (width[c] < TABLE_MINWIDTH)
			width[c] = TABLE_MINWIDTH;
	}
}

/* with out NULL, only count the bytes needed (without the NUL) */
static size_t
table_emit(const struct table_row *rows, size_t nrows, int ncols,
    const size_t width[TABLE_COLS_WIDE], char *out)
{
	size_t i, off = 0, len, pad;
	int c;

	for (i = 0; i < nrows; i++) {
		for (c = 0; c < ncols; c++) {
			len = str_escape_ctl(NULL, 0, rows[i].cell[c]);
			pad = c == ncols - 1 ? 0 :
			    width[c] - cell_width(rows[i].cell[c]);
			if (out != NULL) {
				/* its NUL lands where the pad or '\n' goes */
				str_escape_ctl(out + off, len + 1,
				    rows[i].cell[c]);
				memset(out + off + len, ' ', pad);
			}
			off += len + pad;
		}
		if (out != NULL)
			out[off] = '\n';
		off++;
	}
	return off;
}

static char *
table_render(const struct table_row *rows, size_t nrows, int ncols)
{
	size_t width[TABLE_COLS_WIDE], len;
	char *out;

	column_widths(rows, nrows, ncols, width);
	len = table_emit(rows, nrows, ncols, width, NULL);
	if ((out = malloc(len + 1)) == NULL)
		return NULL;
	table_emit(rows, nrows, ncols, width, out);
	out[len] = '\0';
	return out;
}

static char *
table(const struct pod *const *pods, const struct pod_report *const *reps,
    size_t n, int64_t now_ns, int ncols)
{
	struct table_row *rows = NULL;
	struct podlist_entry *e;
	char *out = NULL;
	size_t i;
	int c;

	if ((e = podlist_sorted(pods, reps, n)) == NULL)
		return NULL;
	if ((rows = calloc(n + 1, sizeof(*rows))) == NULL)
		goto out;
	for (c = 0; c < ncols; c++)
		rows[0].cell[c] = table_header[c];
	for (i = 0; i < n; i++)
		row_fill(&rows[i + 1], &e[i], now_ns);
	out = table_render(rows, n + 1, ncols);
 out:
	free(rows);
	free(e);
	return out;
}

char *
podstatus_cells_table(const char *const *cells, size_t nrows, int ncols)
{
	struct table_row *rows;
	char *out;
	size_t i;
	int c;

	if (ncols < 1 || ncols > TABLE_COLS_WIDE ||
	    (rows = calloc(nrows, sizeof(*rows))) == NULL)
		return NULL;
	for (i = 0; i < nrows; i++)
		for (c = 0; c < ncols; c++)
			rows[i].cell[c] = cells[i * ncols + c];
	out = table_render(rows, nrows, ncols);
	free(rows);
	return out;
}

char *
podstatus_table(const struct pod *const *pods,
    const struct pod_report *const *reps, size_t n, int64_t now_ns)
{
	return table(pods, reps, n, now_ns, TABLE_COLS);
}

char *
podstatus_table_wide(const struct pod *const *pods,
    const struct pod_report *const *reps, size_t n, int64_t now_ns)
{
	return table(pods, reps, n, now_ns, TABLE_COLS_WIDE);
}
