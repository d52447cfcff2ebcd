"""`python -m moto.server`, with DescribeTable answering a TableId as AWS does.

community.aws.dynamodb_table reads `TableId` from every DescribeTable answer and fails
(`Module failed: 'table_id'`) without it; moto 5 leaves it out. Both tools of
bench/ansible_compare.py are timed against this one server, so awsprov sees the same
answers (it does not read TableId).

    python bench/ansible/moto_server.py -p PORT
"""

from __future__ import annotations

import uuid

from moto.dynamodb.models.table import Table
from moto.server import main

_describe = Table.describe


def _describe_with_table_id(self, base_key: str = "TableDescription"):
    answer = _describe(self, base_key)
    answer[base_key].setdefault("TableId", str(uuid.uuid5(uuid.NAMESPACE_URL, self.table_arn)))
    return answer


Table.describe = _describe_with_table_id

if __name__ == "__main__":
    main()
