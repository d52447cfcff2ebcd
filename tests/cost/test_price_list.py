"""`--pricing api`: the AWS Price List refresh, against botocore's Stubber (moto has no
pricing service: KNOWN_EMULATOR_GAPS)."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from botocore.stub import Stubber

from awsprov.cost import price_list
from awsprov.cost.catalogue import load_prices, raw_catalogue
from tests.cost.test_cost_cli import PROVISIONED
from tests.helpers import emulator_gap, run_cli, write_spec

GAP = emulator_gap("cost --pricing api (AWS Price List GetProducts)")

# What the Price List says for eu-west-2 in this test: per single unit, as AWS lists it.
ANSWERS = {
    "EUW2-WriteRequestUnits": "0.0000007625",
    "EUW2-ReadCapacityUnit-Hrs": "0.000155",
    "eu-west-2-KMS-Requests": "0.000003",
}


def _product(usd: str) -> str:
    """One Price List product: a $0 free-tier row and the paid first tier."""
    return json.dumps({"terms": {"OnDemand": {"T1": {"priceDimensions": {
        "free": {"beginRange": "0", "endRange": "25", "pricePerUnit": {"USD": "0.0000000000"}},
        "paid": {"beginRange": "0", "endRange": "Inf", "pricePerUnit": {"USD": usd}},
    }}}}})


def _stubbed_pricing(region: str):
    """A pricing client that expects every usage type the catalogue asks for, in order."""
    client = boto3.client("pricing", region_name=price_list.PRICING_REGION)
    stubber = Stubber(client)
    catalogue = raw_catalogue()
    for entry in catalogue["prices"].values():
        if "usagetype" not in entry:
            continue
        for usagetype in price_list._usage_types(entry["usagetype"], region, catalogue):
            answer = ANSWERS.get(usagetype)
            stubber.add_response(
                "get_products", {"PriceList": [_product(answer)] if answer else [],
                                 "FormatVersion": "aws_v1"},
                {"ServiceCode": entry["service"], "MaxResults": 10,
                 "Filters": [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
                             {"Type": "TERM_MATCH", "Field": "usagetype",
                              "Value": usagetype}]})
            if answer:
                break
    return client, stubber


def test_refresh_caches_what_the_price_list_answers(tmp_path):
    """Moto has no pricing service (KNOWN_EMULATOR_GAPS).
    WRU: $0.0000007625 per unit x 1,000,000 = $0.7625 per 1M; RCU-hour as is;
    KMS (region spelled out): $0.000003 x 10,000 = $0.03 per 10k."""
    client, stubber = _stubbed_pricing("eu-west-2")
    with stubber:
        data = price_list.refresh(client, "eu-west-2", tmp_path, dt.date(2026, 12, 1))
        stubber.assert_no_pending_responses()
    assert data["as_of"] == "2026-12-01"
    assert data["prices"]["dynamodb.on_demand.writes"]["usd"] == pytest.approx(0.7625)
    assert data["prices"]["dynamodb.provisioned.rcu"]["usd"] == pytest.approx(0.000155)
    assert data["prices"]["kms.requests.symmetric"]["usd"] == pytest.approx(0.03)
    prices = load_prices("eu-west-2", tmp_path)
    assert prices.as_of == "2026-12-01"
    assert prices.source == "AWS Price List API (cached)"
    writes = prices.get("dynamodb.on_demand.writes")
    assert (writes.usd, writes.status) == (pytest.approx(0.7625), "verified")
    assert prices.get("dynamodb.on_demand.reads").usd == 0.1485  # not answered: catalogue
    assert load_prices("us-east-1", tmp_path).source == "catalogue"


def test_cli_pricing_api_refreshes_then_estimates(capsys, tmp_path, monkeypatch):
    """orders in eu-west-2 with the refreshed RCU price: RCU-hours 17 x 730 = 12,410 x
    0.000155 = 1.92355; WCU 8,030 x 0.000772 (catalogue) = 6.19916; storage 2 x 0.29715."""
    from awsprov.aws.session import ClientFactory

    monkeypatch.setenv("AWSPROV_HOME", str(tmp_path))
    client, stubber = _stubbed_pricing("eu-west-2")
    monkeypatch.setattr(ClientFactory, "client", lambda self, service, region=None: client)
    spec = write_spec(tmp_path, PROVISIONED.replace("region: us-east-1", "region: eu-west-2"))
    with stubber:
        code, out, err = run_cli(capsys, "cost-estimate", str(spec), "--pricing", "api",
                                 "-o", "json")
    assert code == 0, err
    assert "Fetched 3 prices for eu-west-2 from the AWS Price List" in err
    doc = json.loads(out)
    assert doc["pricing_source"] == "AWS Price List API (cached)"
    assert doc["prices_as_of"] == dt.date.today().isoformat()
    orders = next(r for r in doc["resources"] if r["address"] == "tables.orders")
    assert orders["monthly"] == pytest.approx(1.92355 + 6.19916 + 0.5943)


def test_a_region_the_catalogue_does_not_ship_can_be_fetched(tmp_path):
    """eu-central-1 is not shipped; after a refresh its answered prices are used and an
    unanswered component is a clear error, never another region's figure."""
    from awsprov.cost.catalogue import PricingError

    client = boto3.client("pricing", region_name=price_list.PRICING_REGION)
    stubber = Stubber(client)
    catalogue = raw_catalogue()
    for entry in catalogue["prices"].values():
        if "usagetype" not in entry:
            continue
        for usagetype in price_list._usage_types(entry["usagetype"], "eu-central-1",
                                                 catalogue):
            answer = "0.0000003" if usagetype == "EUC1-ReadRequestUnits" else None
            stubber.add_response("get_products", {
                "PriceList": [_product(answer)] if answer else [], "FormatVersion": "aws_v1"})
            if answer:
                break
    with stubber:
        price_list.refresh(client, "eu-central-1", tmp_path, dt.date(2026, 12, 1))
    prices = load_prices("eu-central-1", tmp_path)
    assert prices.get("dynamodb.on_demand.reads").usd == pytest.approx(0.30)
    missing = r"no eu-central-1 price for dynamodb\.on_demand\.writes"
    with pytest.raises(PricingError, match=missing):
        prices.get("dynamodb.on_demand.writes")
