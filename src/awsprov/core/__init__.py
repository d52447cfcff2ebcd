"""The vocabulary every layer shares: changes, actions, field kinds, severities, the
reference syntax and a run's options. It imports nothing of awsprov but `awsprov.errors`,
so anything may import it (tests/test_layers.py keeps the package layers acyclic)."""
