"""Turns an invocation into an answer: chooses the call. Failures are raised, and mapped to
answers in one place (errors.answer_for)."""

from __future__ import annotations

from dataclasses import replace

from endpoint_invoker import errors
from endpoint_invoker.invocation import ASYNC_OPTIONS, Answer, BadRequest, Invocation, Mode
from endpoint_invoker.runtime_gateway import RuntimeGateway
from endpoint_invoker.settings import REALTIME_PAYLOAD_LIMIT


class Invoker:
    def __init__(self, gateway: RuntimeGateway, inference_component: str | None = None):
        """`inference_component` is the one a request that names none is sent to."""
        self._gateway = gateway
        self._inference_component = inference_component

    def answer(self, invocation: Invocation) -> Answer:
        if invocation.mode is Mode.RESULT:
            return self._gateway.fetch_result(invocation)
        if invocation.mode is Mode.ASYNC:
            self._check_async(invocation)
            return self._gateway.invoke_async(invocation)
        if len(invocation.body) > REALTIME_PAYLOAD_LIMIT:
            return errors.payload_too_large(len(invocation.body), REALTIME_PAYLOAD_LIMIT)
        return self._gateway.invoke(self._targeted(invocation))

    def _targeted(self, invocation: Invocation) -> Invocation:
        """The invocation with the default inference component, unless it names its own."""
        if not self._inference_component or "InferenceComponentName" in invocation.options:
            return invocation
        options = {"InferenceComponentName": self._inference_component, **invocation.options}
        return replace(invocation, options=options)

    def _check_async(self, invocation: Invocation) -> None:
        """InvokeEndpointAsync takes no variant, model, container, inference component or
        session: asking for one asynchronously is the caller's mistake, never silently
        dropped."""
        unsupported = sorted(set(invocation.options) - ASYNC_OPTIONS)
        if unsupported:
            raise BadRequest(
                f"{', '.join(unsupported)} not supported in async mode: InvokeEndpointAsync "
                "takes only InferenceId and CustomAttributes"
            )
        if self._inference_component:
            raise BadRequest(
                f"async mode cannot reach inference component {self._inference_component} "
                "(SAGEMAKER_INFERENCE_COMPONENT_NAME): InvokeEndpointAsync has no inference "
                "component; send the request in real time"
            )
