"""Prices one order line: the payload is {"line", "sku", "quantity"}; unknown SKUs fail like a Lambda error."""
import json
import sys

PRICES = {"pen": 150, "ink": 899, "pad": 325}

line = json.load(sys.stdin)
if line["sku"] not in PRICES:
    print(json.dumps({"errorType": "UnknownSku", "errorMessage": f"no price for {line['sku']}"}))
    sys.exit(1)
print(json.dumps({"line": line["line"], "amount": PRICES[line["sku"]] * line["quantity"]}))
