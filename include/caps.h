/*
 * The Linux capability names (linux/capability.h, without "CAP_"), in
 * number order: one table for the manifest parser, the config, the node
 * policy and the OCI bundle.
 */
#ifndef AGENTD_CAPS_H
#define AGENTD_CAPS_H

#define CAPS_COUNT	41	/* CAP_CHECKPOINT_RESTORE (40) is the last */
#define CAPS_ALL	(-2)

extern const char *const caps_names[CAPS_COUNT];

/*
 * "NET_ADMIN", "CAP_NET_ADMIN", any case: the capability number;
 * CAPS_ALL for "ALL"; -1 if unknown.
 */
int	caps_lookup(const char *);

#endif
