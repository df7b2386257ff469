"""The CloudFormation edge: everything about the custom resource protocol, and nothing else.

- `edge`: event to request, one provisioner step, outcome to answer; lost invocations answered
- `resource`: crhelper's CfnResource, answering each request exactly once
- `handoff`: an unfinished request continued in a fresh invocation
- `delivery`: the answer PUT to the ResponseURL, retried within the time left
- `reasons`: what the user reads for a failure, within CloudFormation's 256 characters
- `lost_invocations`: requests whose asynchronous invocation Lambda gave up on
"""
