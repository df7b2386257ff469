"""The stack resource the pure tests build desired states for."""

STACK_ID = (
    "arn:aws:cloudformation:us-east-1:123456789012:stack/s/11111111-2222-3333-4444-555555555555"
)
DEFAULT_ROLE = "arn:aws:iam::123456789012:role/provider-default"
