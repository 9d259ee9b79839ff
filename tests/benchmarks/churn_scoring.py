"""Win-back scoring with the back-tested churn model against its bare SQL baseline.

Usage: python3 churn_scoring.py CONF TEMPLATE_DB SCALE [SCALE...] (run by churn_eval.sh).
The same operation as bench.py's "win-back scoring" (operations.WinbackScoring: the
company's model fitted first, then the scoring alone timed, best of three runs each side),
stored in results/churn_scoring.json for the "Churn on real data" section.
"""

import json
import os
import subprocess
import sys

import odoo
from odoo import SUPERUSER_ID, api

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench
import datagen
import operations

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    conf, template, *scales = sys.argv[1:]
    odoo.tools.config.parse_config(["-c", conf])
    results = []
    for scale in (int(s) for s in scales):
        db = "churn_scoring_%d" % scale
        subprocess.run(["dropdb", "--if-exists", db], check=True)
        subprocess.run(["createdb", "-T", template, db], check=True)
        registry = odoo.modules.registry.Registry(db)
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            orders = datagen.generate(env, scale)
            op = operations.WinbackScoring()
            op.prepare(env)
            fit = env["winback.churn.fit"]._latest(env.company)
            method = fit.method
            cr.commit()
            odoo_runs, sql_runs = [], []
            for _i in range(3):
                odoo_runs.append(bench.measure(env, op.odoo)["seconds"])
                cr.rollback()
                sql_runs.append(bench.measure(env, op.baseline)["seconds"])
                cr.rollback()
        registry.delete(db)
        odoo.sql_db.close_db(db)
        subprocess.run(["dropdb", db], check=True)
        result = {
            "customers": scale,
            "orders": orders,
            "method": method,
            "odoo_s": min(odoo_runs),
            "sql_s": min(sql_runs),
        }
        print(result, flush=True)
        results.append(result)
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "churn_scoring.json"), "w") as f:
        json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
