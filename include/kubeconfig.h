/*
 * A kubeconfig (client-go's clientcmd format), reduced to what a node
 * agent uses: the current context's server, how to trust it and how to
 * prove who we are.  agentd reads it at start (root, before any worker
 * runs); the workers get the server and the trust material, never the
 * client key.  Anything that would change how we authenticate and that we
 * do not implement (exec plugins, auth providers, basic auth,
 * impersonation, a proxy) is refused with the field named, never ignored.
 */
#ifndef AGENTD_KUBECONFIG_H
#define AGENTD_KUBECONFIG_H

#include <stddef.h>
#include <stdint.h>

#define KUBECONFIG_MAX_BYTES	(1024 * 1024)	/* the file itself */
#define KUBECONFIG_MAX_PEM	(64 * 1024)	/* a CA bundle, cert or key */
#define KUBECONFIG_MAX_TOKEN	8192
#define KUBECONFIG_MAX_NAME	256		/* context, cluster, user */
#define KUBECONFIG_MAX_HOST	254		/* DNS name or IP literal */
#define KUBECONFIG_MAX_ITEMS	256		/* clusters, users, contexts */

struct kubeconfig {
	char		 context[KUBECONFIG_MAX_NAME];
	char		 cluster[KUBECONFIG_MAX_NAME];
	char		 user[KUBECONFIG_MAX_NAME];
	char		 namespace[KUBECONFIG_MAX_NAME];	/* "" if unset */
	/* the server: https only, no path; host without brackets */
	char		 host[KUBECONFIG_MAX_HOST + 1];
	uint16_t	 port;				/* 443 if unset */
	char		 tls_server_name[KUBECONFIG_MAX_HOST + 1];
	int		 insecure_skip_verify;
	/* PEM bytes, from the -data field or the file it names; NULL: none */
	char		*ca;
	size_t		 ca_len;
	char		*cert;
	size_t		 cert_len;
	char		*key;
	size_t		 key_len;
	char		*token;				/* token or tokenFile */
};

/*
 * dir resolves relative file names (client-go resolves them against the
 * kubeconfig's directory); NULL refuses file references.  On error err
 * names the field ("users[0].user.client-key: ...") and kc holds nothing.
 */
int	kubeconfig_parse(struct kubeconfig *, const char *buf, size_t len,
	    const char *dir, char *err, size_t errlen);
int	kubeconfig_load(struct kubeconfig *, const char *path, char *err,
	    size_t errlen);
void	kubeconfig_free(struct kubeconfig *);

#endif
