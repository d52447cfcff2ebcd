"""Plan, graph, planner, executor, verify: generic code that never names a resource type."""
