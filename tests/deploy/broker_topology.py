"""deploy/k8s/base/broker-users.yaml as the code says it must be: for each broker identity
(services/common/messaging/identities.py) a RabbitMQ Messaging Topology Operator User, Permission and
TopicPermission, with exactly the patterns ``permissions(name)`` and ``topic_permissions(name)`` return.

test_kubernetes.py compares the rendered manifests with :func:`resources`; when the code's permissions
change (a service consumes another's events, say), write the file again:

    python -m tests.deploy.broker_topology > deploy/k8s/base/broker-users.yaml
"""

from __future__ import annotations

import sys

import yaml

from services.common.messaging import identities

CLUSTER = "cadre-rabbitmq"
VHOST = "/"
LABELS = {"app.kubernetes.io/part-of": "cadre-incentive"}

HEADER = """\
# One RabbitMQ user per process and for cadrectl, allowed what services/common/messaging/identities.py
# allows each (docs/adr/0022-trust-boundaries.md): User, Permission and TopicPermission resources of the
# RabbitMQ Messaging Topology Operator (rabbitmq.com/v1beta1) in the RabbitmqCluster cadre-rabbitmq.
# Written by `python -m tests.deploy.broker_topology > deploy/k8s/base/broker-users.yaml`; the deploy
# checks fail when this file and the code's permissions differ.
#
# Credentials: each User imports the Secret cadre-rabbitmq-<identity> that ops create (username: the
# identity's name, password: random; labelled rabbitmq.com/topology-operator=true, docs/deploy.md), and
# the identity's Deployment builds AMQP_URI from the same Secret. The operator's generated credentials are
# not used: without spec.importCredentialsSecret it makes <User name>-user-credentials with a random
# username as well as a random password (UserSpec: "If this field is omitted, random a username and
# password will be generated"; internal/controller/user_controller.go, generateCredentials), and a
# consumer accepts an event only from the user named after its producer (identities.publisher_of).
# Since v1.20.0 the operator reads only Secrets carrying that label (its webhook refuses a User whose
# import Secret lacks it), re-syncs the password when the Secret changes, and makes no
# <User name>-user-credentials for an imported user (docs/examples/users/README.md); releases before
# v1.20 copy the imported Secret into <User name>-user-credentials, which nothing here reads.
# Fields: User spec.importCredentialsSecret.name, spec.rabbitmqClusterReference.name; Permission and
# TopicPermission spec.vhost, spec.userReference.name (the User resource; the operator takes the username
# from its status), spec.permissions {configure, write, read} and {exchange, write, read}
# (api/v1beta1/*_types.go and docs/examples/{users,permissions,topic-exchanges} of
# rabbitmq/messaging-topology-operator v1.20.1; CRDs vendored in tests/deploy/schemas/crds/).
# No user has tags: none may use the management API.
"""


def secret_name(identity: str) -> str:
    """The Secret ops create for ``identity``'s broker user (keys username, password)."""
    return f"cadre-rabbitmq-{identity}"


def resource_name(identity: str) -> str:
    return f"cadre-rabbitmq-{identity}"


def resources() -> list[dict]:
    found = []
    for identity in identities.IDENTITIES:
        name = resource_name(identity)

        def resource(kind: str, spec: dict, name=name) -> dict:
            return {"apiVersion": "rabbitmq.com/v1beta1", "kind": kind,
                    "metadata": {"name": name, "labels": dict(LABELS)},
                    "spec": {**spec, "rabbitmqClusterReference": {"name": CLUSTER}}}

        granted = identities.permissions(identity)
        topic = identities.topic_permissions(identity)
        found += [
            resource("User", {"importCredentialsSecret": {"name": secret_name(identity)}}),
            resource("Permission", {"vhost": VHOST, "userReference": {"name": name}, "permissions": {
                key: granted[key] for key in ("configure", "write", "read")}}),
            resource("TopicPermission", {"vhost": VHOST, "userReference": {"name": name}, "permissions": {
                key: topic[key] for key in ("exchange", "write", "read")}}),
        ]
    return found


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


# patterns single-quoted, so that a backslash reads as itself
_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="'" if any(c in value for c in "\\^$|*") else None))


def render() -> str:
    documents = []
    for resource in resources():
        text = yaml.dump(resource, Dumper=_Dumper, sort_keys=False, width=1000, default_flow_style=False)
        documents.append(text)
    return HEADER + "---\n" + "---\n".join(documents)


if __name__ == "__main__":
    sys.stdout.write(render())
