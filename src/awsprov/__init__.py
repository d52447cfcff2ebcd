"""awsprov: stateless provisioning of the AWS data and security layer from YAML specs."""

__version__ = "0.1.0"
