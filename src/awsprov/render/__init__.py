"""Output: text (rich) for people, versioned JSON for machines, JUnit for CI."""
