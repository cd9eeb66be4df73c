/*
 * agentd's version, as the Node's status.nodeInfo.kubeletVersion shows it:
 * the Kubernetes release whose kubelet behaviour agentd follows, and
 * agentd's own release after the dash (semver pre-release syntax, which
 * the API server's version parsing accepts, as it does "v1.32.0-eks-1").
 */
#ifndef AGENTD_VERSION_H
#define AGENTD_VERSION_H

#define AGENTD_VERSION		"v1.32.0-agentd.0"

#endif
