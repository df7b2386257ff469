"""The CloudWatch metrics SageMaker emits for inference components, as the simulator counts them.

Each event is kept at its simulated time, for Application Auto Scaling and alarms to read, and
put into moto's CloudWatch (namespace AWS/SageMaker, dimension InferenceComponentName), where a
client sees it at the wall-clock time it happened.
"""

from collections import defaultdict
from collections.abc import Iterator

from moto.cloudwatch.models import cloudwatch_backends
from moto.sagemaker.models import SageMakerModelBackend

NAMESPACE = "AWS/SageMaker"
DIMENSION = "InferenceComponentName"
INVOCATIONS = "Invocations"
NO_CAPACITY = "NoCapacityInvocationFailures"
# Metric -> (account, region, component) -> the simulated times of its events, oldest first.
_Series = dict[tuple[str, str, str], list[float]]


class Metrics:
    """Invocations and no-capacity failures per component."""

    def __init__(self) -> None:
        self._events: dict[str, _Series] = defaultdict(lambda: defaultdict(list))

    def record(
        self, backend: SageMakerModelBackend, metric: str, component: str, now: float
    ) -> None:
        self._events[metric][(backend.account_id, backend.region_name, component)].append(now)
        cloudwatch = cloudwatch_backends[backend.account_id][backend.region_name]
        datum = {
            "MetricName": metric,
            "Dimensions": [{"Name": DIMENSION, "Value": component}],
            "Value": 1.0,
            "Unit": "Count",
        }
        cloudwatch.put_metric_data(NAMESPACE, [datum])

    def count(self, metric: str, key: tuple[str, str, str], start: float, end: float) -> int | None:
        """Events in [start, end); None when there were none, as CloudWatch has no datapoint."""
        found = sum(1 for at in self._events[metric].get(key, []) if start <= at < end)
        return found or None

    def keys(self, metric: str) -> Iterator[tuple[str, str, str]]:
        return iter(list(self._events[metric]))

    def forget_before(self, moment: float) -> None:
        for series in self._events.values():
            for key, times in series.items():
                series[key] = [at for at in times if at >= moment]

    def clear(self) -> None:
        self._events.clear()
