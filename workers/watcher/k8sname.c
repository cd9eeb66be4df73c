/*
 * Kubernetes name rules: RFC 1123 labels and subdomains, qualified names
 * (label and annotation keys), label values and IANA service names.
 */
#include <string.h>

#include "manifest.h"
#include "manifest_int.h"
#include "pod.h"

/* ------------------------------------------------------------------ */
/* Kubernetes name rules (k8s.io/apimachinery/pkg/util/validation)     */

static int
is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int
is_alnum(int c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* the RFC 1123 checks are the ones the executor applies again (pod.c) */
int
dns_label_ok(const char *s)
{
	return pod_dns_label_ok(s, strlen(s));
}

/* label values and the name part of qualified names */
int
label_value_chars_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 1;
	if (!is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return 0;
	for (i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    s[i] != '.')
			return 0;
	return 1;
}

/* IsQualifiedName: [prefix/]name; NULL if fine, else what is wrong */
const char *
qualified_name_problem(const char *key, int lowercase_prefix)
{
	const char *slash = strchr(key, '/'), *name = key;
	char prefix[POD_MAX_NAME + 1];
	size_t plen, i;

	if (slash != NULL) {
		if (strchr(slash + 1, '/') != NULL)
			return "must be a name with an optional prefix and "
			    "one '/'";
		plen = slash - key;
		if (plen == 0)
			return "prefix part must be non-empty";
		if (plen > POD_MAX_NAME)
			return "prefix part must be no more than 253 "
			    "characters";
		for (i = 0; i < plen; i++) {
			prefix[i] = key[i];
			/* annotation keys are checked lowercased (k8s) */
			if (lowercase_prefix && prefix[i] >= 'A' &&
			    prefix[i] <= 'Z')
				prefix[i] += 'a' - 'A';
		}
		if (!dns_subdomain_ok(prefix, plen))
			return "prefix part " DNS_SUBDOMAIN_MSG;
		name = slash + 1;
	}
	if (name[0] == '\0')
		return "name part must be non-empty";
	if (strlen(name) > POD_MAX_LABEL)
		return "name part must be no more than 63 characters";
	if (!label_value_chars_ok(name, strlen(name)))
		return "name part must consist of alphanumeric characters, "
		    "'-', '_' or '.', and must start and end with an "
		    "alphanumeric character";
	return NULL;
}

/* IANA_SVC_NAME: at most 15 of [a-z0-9-], a letter, no "--", no edge '-' */
int
port_name_ok(const char *s)
{
	size_t n = strlen(s), i;
	int letter = 0;

	if (n == 0 || n > PORT_NAME_MAX || s[0] == '-' || s[n - 1] == '-' ||
	    strstr(s, "--") != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return 0;
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = 1;
	}
	return letter;
}
