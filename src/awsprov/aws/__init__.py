"""The only place that builds boto3 clients; boto3 is imported lazily from here."""
