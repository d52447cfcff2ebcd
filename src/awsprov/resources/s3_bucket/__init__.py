"""S3 buckets (docs/buckets.md; the S3 rows of docs/consistency.md).

One `buckets:` block covers what Terraform splits over fifteen resources. The package is
laid out as Terraform's provider lays out a big resource:

- settings.py: each property once (the Prop table), desired and live state, export
- lifecycle.py: lifecycle rules (schema, checks, shape, request, data loss)
- tls.py: the bucket policy and its deny-plain-HTTP statement
- checks.py: pure checks, field kinds, refusals, notes, data loss, deletion, baseline
- live.py: the typed live shape (BucketLive, BucketDetails, the lazy ObjectCount)
- api.py: reads (HeadBucket and ten concurrent sub-reads)
- writes.py: CreateBucket and the per-setting PUT/DELETE phases with their waits
- empty.py: emptying (force_destroy) and deleting
- resource.py: the S3Bucket type, each hook handing over to the above
"""

from awsprov.resources.s3_bucket.api import SUB_READS, head_bucket, live_of
from awsprov.resources.s3_bucket.checks import name_problems
from awsprov.resources.s3_bucket.live import BucketDetails, BucketLive, Contents, ObjectCount
from awsprov.resources.s3_bucket.resource import S3Bucket
from awsprov.resources.s3_bucket.settings import CREATING_TAG, FORCE_DESTROY_TAG
from awsprov.resources.s3_bucket.tls import TLS_SID, bucket_arn

RESOURCE_TYPE = S3Bucket

__all__ = ["CREATING_TAG", "FORCE_DESTROY_TAG", "RESOURCE_TYPE", "SUB_READS", "TLS_SID",
           "BucketDetails", "BucketLive", "Contents", "ObjectCount", "S3Bucket", "bucket_arn",
           "head_bucket", "live_of", "name_problems"]
