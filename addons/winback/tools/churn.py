"""Churn risk from purchase histories: a pure numpy "buy till you die" model.

Each customer buys as a Poisson process at their own rate ``lambda`` (rates vary across
customers as a Gamma(r, alpha) distribution) and may leave for good right after any
purchase, the first included, with their own probability ``p`` (Beta(a, b) across
customers): the MBG/NBD model of Batislam et al. (2007), a variant of Fader, Hardie and
Lee's BG/NBD (2005) in which one-time buyers can also be gone.

The four population parameters are fitted per company by maximum likelihood (a small
Nelder-Mead in log space, with a weak prior that keeps tiny populations sane). For one
customer with ``x`` repeat purchases, the last at ``t_x`` days after the first, observed
for ``T`` days since the first purchase:

    P(alive) = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))

and the churn risk is the probability of no purchase in the next ``H`` days:

    risk = 1 - P(alive) * (1 - ((alpha + T) / (alpha + T + H)) ** (r + x))

so the same silence means more for a frequent, regular customer than for a rare one.
"""

import numpy as np

DEFAULT_PARAMS = (0.5, 60.0, 0.5, 2.0)  # r, alpha (days), a, b


def _lgamma_ratio(c, n):
    """ln Gamma(c + n) - ln Gamma(c) for a scalar ``c > 0`` and an integer array ``n >= 0``."""
    top = int(n.max()) if n.size else 0
    table = np.concatenate(([0.0], np.cumsum(np.log(c + np.arange(max(top, 1))))))
    return table[n]


def log_likelihood(params, x, tx, T, variant="mbg"):
    """Per-customer log-likelihood of the (M)BG/NBD model."""
    r, alpha, a, b = params
    head = _lgamma_ratio(r, x) + r * np.log(alpha)
    if variant == "mbg":
        alive = _lgamma_ratio(b, x + 1) - _lgamma_ratio(a + b, x + 1)
        dead = np.log(a) + _lgamma_ratio(b, x) - _lgamma_ratio(a + b, x + 1)
        alive = alive - (r + x) * np.log(alpha + T)
        dead = dead - (r + x) * np.log(alpha + tx)
        return head + np.logaddexp(alive, dead)
    # classic BG/NBD: no dropout before the first repeat purchase
    alive = _lgamma_ratio(b, x) - _lgamma_ratio(a + b, x) - (r + x) * np.log(alpha + T)
    xm1 = np.maximum(x - 1, 0)
    dead = (
        np.log(a) + _lgamma_ratio(b, xm1) - _lgamma_ratio(a + b, x) - (r + x) * np.log(alpha + tx)
    )
    dead = np.where(x > 0, dead, -np.inf)
    return head + np.logaddexp(alive, dead)


def _nelder_mead(func, start, steps=0.5, iterations=400, tolerance=1e-7):
    """Minimise ``func`` from ``start`` (small, dependency-free Nelder-Mead)."""
    dim = len(start)
    simplex = [np.array(start, dtype=float)]
    for i in range(dim):
        point = np.array(start, dtype=float)
        point[i] += steps
        simplex.append(point)
    values = [func(p) for p in simplex]
    for _i in range(iterations):
        order = np.argsort(values)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        if abs(values[-1] - values[0]) <= tolerance * (abs(values[0]) + tolerance):
            break
        centroid = np.mean(simplex[:-1], axis=0)
        reflected = centroid + (centroid - simplex[-1])
        f_reflected = func(reflected)
        if f_reflected < values[0]:
            expanded = centroid + 2.0 * (centroid - simplex[-1])
            f_expanded = func(expanded)
            if f_expanded < f_reflected:
                simplex[-1], values[-1] = expanded, f_expanded
            else:
                simplex[-1], values[-1] = reflected, f_reflected
        elif f_reflected < values[-2]:
            simplex[-1], values[-1] = reflected, f_reflected
        else:
            contracted = centroid + 0.5 * (simplex[-1] - centroid)
            f_contracted = func(contracted)
            if f_contracted < values[-1]:
                simplex[-1], values[-1] = contracted, f_contracted
            else:
                best = simplex[0]
                simplex = [best] + [best + 0.5 * (p - best) for p in simplex[1:]]
                values = [values[0]] + [func(p) for p in simplex[1:]]
    return simplex[int(np.argmin(values))]


def fit(x, tx, T, variant="mbg", weights=None):
    """Population parameters ``(r, alpha, a, b)`` by penalised maximum likelihood.

    ``weights``: how many customers share each ``(x, tx, T)`` row (default 1 each), so
    the caller may pass distinct histories with their counts instead of every customer.
    """
    x = np.asarray(x, dtype=int)
    tx = np.asarray(tx, dtype=float)
    T = np.asarray(T, dtype=float)
    if not x.size:
        return DEFAULT_PARAMS
    weights = np.ones(x.size) if weights is None else np.asarray(weights, dtype=float)
    prior = np.log(DEFAULT_PARAMS)
    # scale alpha to the data so the search starts near the answer
    mean_rate = max((weights * x).sum(), 1) / max((weights * T).sum(), 1.0)
    start = prior.copy()
    start[1] = np.log(DEFAULT_PARAMS[0] / mean_rate)

    def objective(log_params):
        log_params = np.clip(log_params, -8.0, 12.0)
        ll = (weights * log_likelihood(np.exp(log_params), x, tx, T, variant)).sum()
        # weak normal prior on log-parameters: negligible with data, sane without
        return -ll + 0.5 * np.sum((log_params - prior) ** 2) / 4.0

    return tuple(np.exp(np.clip(_nelder_mead(objective, start), -8.0, 12.0)))


def p_alive(params, x, tx, T, variant="mbg"):
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    if variant == "mbg":
        odds = np.log(a) - np.log(b + x) + log_ratio
        return 1.0 / (1.0 + np.exp(np.minimum(odds, 700)))
    odds = np.log(a) - np.log(np.maximum(b + x - 1, 1e-9)) + log_ratio
    return np.where(x > 0, 1.0 / (1.0 + np.exp(np.minimum(odds, 700))), 1.0)


def churn_risk(x, tx, T, horizon=365.0, params=None):
    """Probability (0-1) of no purchase in the next ``horizon`` days, per customer.

    ``x``: repeat purchases (distinct purchase days minus one), ``tx``: days from the
    first to the last purchase, ``T``: days from the first purchase to the cut-off.
    Returns ``(risk, p_alive, params)``.
    """
    x = np.asarray(x, dtype=int)
    tx = np.asarray(tx, dtype=float)
    T = np.maximum(np.asarray(T, dtype=float), tx)
    if params is None:
        params = fit(x, tx, T)
    r, alpha, _a, _b = params
    alive = p_alive(params, x, tx, T)
    quiet_if_alive = ((alpha + T) / (alpha + T + horizon)) ** (r + x)
    return 1.0 - alive * (1.0 - quiet_if_alive), alive, params


def roc_auc(score, label):
    """Area under the ROC curve of ``score`` ranking ``label`` (ties count half)."""
    score = np.asarray(score, dtype=float)
    label = np.asarray(label, dtype=bool)
    positives, negatives = label.sum(), (~label).sum()
    if not positives or not negatives:
        return 0.5
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    # average ranks for ties
    _unique, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average = first + (counts - 1) / 2.0 + 1
    ranks[order] = np.repeat(average, counts)
    return (ranks[label].sum() - positives * (positives + 1) / 2.0) / (positives * negatives)


def simulate(customers=2000, seed=7, calibration=730.0, horizon=365.0):
    """Purchase histories from a known process, independent of the scoring code.

    Customers are acquired uniformly over the calibration period; each buys as a
    Poisson process with a Gamma-distributed rate and, after every purchase, quits for
    good with a Beta-distributed probability. Returns ``(x, tx, T, churned)`` at the
    cut-off, ``churned`` meaning no purchase during the following ``horizon`` days.
    """
    rng = np.random.default_rng(seed)
    rates = rng.gamma(shape=1.5, scale=1.0 / 40.0, size=customers)  # mean 1 order / 27 days
    quit_p = rng.beta(1.0, 4.0, size=customers)
    starts = rng.uniform(0.0, calibration - 30.0, size=customers)
    end = calibration + horizon
    x = np.zeros(customers, dtype=int)
    tx = np.zeros(customers)
    T = calibration - starts
    churned = np.ones(customers, dtype=bool)
    for i in range(customers):
        t = starts[i]
        while rng.random() >= quit_p[i]:
            t += rng.exponential(1.0 / rates[i])
            if t >= end:
                break
            if t < calibration:
                x[i] += 1
                tx[i] = t - starts[i]
            else:
                churned[i] = False
                break
    return x, tx, T, churned


# --- Back-tested churn model: regularised logistic regression on history features ---

# Feature names, in the order of the model's coefficients (see tools/churn_sql.py for
# their SQL and :func:`features_from_values` for the same formulas in Python).
FEATURES = (
    "recency",  # ln(1 + days since the last order)
    "overdue",  # ln(1 + days since the last order / the customer's usual interval)
    "frequency",  # ln(1 + repeat purchase days)
    "tenure",  # ln(1 + days since the first order)
    "monetary",  # ln(1 + average spend per purchase day)
    "irregularity",  # coefficient of variation of the intervals between purchases
    "trend",  # purchases of the last 180 days vs the 180 before, in -1..1
    "p_alive",  # MBG/NBD probability that the customer is still active
    "expected",  # ln(1 + MBG/NBD expected purchases within the horizon)
    "complaints",  # ln(1 + tickets of the last 90 days)
    "gestures",  # ln(1 + gestures granted in the last 365 days)
    "detractor",  # last NPS answer 0-6
    "promoter",  # last NPS answer 9-10
)
C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 10.0)


def usual_interval(params, x, tx):
    """The customer's usual interval in days: their mean interval drawn to the population's.

    The population's mean interval ``alpha / r`` counts as ``k = min(r, 1)`` extra
    interval: ``(k * alpha / r + tx) / (k + x)``, close to ``tx / x`` for a frequent buyer
    and to ``alpha / r`` for a new one.
    """
    r, alpha, _a, _b = params
    k = min(r, 1.0)
    return (k * alpha / r + np.asarray(tx, dtype=float)) / (k + np.asarray(x, dtype=float))


def expected_purchases(params, x, tx, T, horizon):
    """MBG/NBD expected purchases within ``horizon`` days, posterior-mean plug-in.

    A customer still active buys at rate ``l = (r + x) / (alpha + T)`` and leaves after each
    purchase with probability ``p = a / (a + b + x)``: the expected number of purchases
    before the horizon is ``(1 - exp(-l * p * horizon)) / p``, times P(alive). The same
    formula as the scoring SQL (the exact conditional expectation needs 2F1, see
    :func:`expected_purchases_exact`).
    """
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    T = np.maximum(np.asarray(T, dtype=float), tx)
    rate = (r + x) / (alpha + T)
    leave = a / (a + b + x)
    return p_alive(params, x, tx, T) * (1.0 - np.exp(-rate * leave * horizon)) / leave


def expected_purchases_exact(params, x, tx, T, horizon):
    """MBG/NBD conditional expected purchases (Batislam et al. 2007), for ``a != 1``.

    The Gauss hypergeometric function is summed as a series after Euler's transformation
    (converges for ``z < 1``); used to compare against the model, not to score.
    """
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    T = np.maximum(np.asarray(T, dtype=float), tx)
    z = horizon / (alpha + T + horizon)
    p1, p2, p3 = r + x, b + x + 1.0, a + b + x
    # Euler: 2F1(p1, p2; p3; z) = (1 - z)^(p3 - p1 - p2) 2F1(p3 - p1, p3 - p2; p3; z)
    e1, e2 = p3 - p1, p3 - p2
    term = np.ones_like(z)
    total = np.ones_like(z)
    for k in range(2000):
        term = term * (e1 + k) * (e2 + k) / ((p3 + k) * (k + 1)) * z
        total += term
        if np.all(np.abs(term) < 1e-12 * np.abs(total)):
            break
    # 2F1 * ((alpha + T) / (alpha + T + horizon)) ** (r + x) = total * (1 - z) ** (a - 1)
    second = 1.0 - total * np.exp((a - 1.0) * np.log1p(-z))
    return (
        (a + b + x)
        / (a - 1.0 if abs(a - 1.0) > 1e-6 else 1e-6)
        * second
        * p_alive(params, x, tx, T)
    )


def feature_matrix(
    recency, interval, x, T, spend, gap_cv, trend, alive, expected, tickets, gestures, nps
):
    """The model's features (columns in the order of :data:`FEATURES`) from per-customer
    figures: days since the last order, usual interval, repeat purchase days, days since
    the first order, average spend per purchase day, coefficient of variation of the
    intervals, recent trend (-1..1), P(alive), expected purchases within the horizon,
    tickets (90 days), gestures (365 days), last NPS (NaN when none)."""
    recency = np.asarray(recency, dtype=float)
    nps = np.asarray(nps, dtype=float)
    return np.column_stack(
        [
            np.log1p(recency),
            np.log1p(recency / np.asarray(interval, dtype=float)),
            np.log1p(np.asarray(x, dtype=float)),
            np.log1p(np.asarray(T, dtype=float)),
            np.log1p(np.maximum(np.asarray(spend, dtype=float), 0)),
            np.asarray(gap_cv, dtype=float),
            np.asarray(trend, dtype=float),
            np.asarray(alive, dtype=float),
            np.log1p(np.asarray(expected, dtype=float)),
            np.log1p(np.asarray(tickets, dtype=float)),
            np.log1p(np.asarray(gestures, dtype=float)),
            np.where(np.isnan(nps), 0.0, nps <= 6),
            np.where(np.isnan(nps), 0.0, nps >= 9),
        ]
    )


def features_from_values(values, params, horizon):
    """The model's feature matrix from plain per-customer values (numpy arrays).

    ``values``: x, tx, T, recency, revenue, days, gap_cv, recent, before, tickets,
    gestures, nps (NaN when none). The SQL of tools/churn_sql.py computes the same.
    """
    x = np.asarray(values["x"], dtype=float)
    tx = np.asarray(values["tx"], dtype=float)
    T = np.maximum(np.asarray(values["T"], dtype=float), tx)
    recent, before = (np.asarray(values[k], dtype=float) for k in ("recent", "before"))
    return feature_matrix(
        values["recency"],
        usual_interval(params, x, tx),
        x,
        T,
        np.asarray(values["revenue"], dtype=float) / np.maximum(values["days"], 1),
        values["gap_cv"],
        (recent - before) / (recent + before + 1.0),
        p_alive(params, x, tx, T),
        expected_purchases(params, x, tx, T, horizon),
        values["tickets"],
        values["gestures"],
        values["nps"],
    )


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


def logistic_fit(X, y, C=1.0, iterations=50):
    """L2-regularised logistic regression on standardised features, by Newton's method.

    Minimises the mean log loss plus ``||w||^2 / (2 C n)`` (the intercept is not
    penalised, scikit-learn's convention). Returns ``{"mean", "scale", "coef",
    "intercept"}`` for :func:`logistic_predict`.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, dim = X.shape
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale < 1e-9] = 1.0
    Z = np.column_stack([np.ones(n), (X - mean) / scale])
    penalty = np.full(dim + 1, 1.0 / C)
    penalty[0] = 0.0
    w = np.zeros(dim + 1)
    w[0] = np.log((y.mean() + 1e-6) / (1.0 - y.mean() + 1e-6))
    for _i in range(iterations):
        p = _sigmoid(Z @ w)
        gradient = Z.T @ (p - y) + penalty * w
        hessian = (Z * (p * (1.0 - p))[:, None]).T @ Z + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return {
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": w[1:].tolist(),
        "intercept": float(w[0]),
    }


def logistic_predict(model, X):
    X = np.asarray(X, dtype=float)
    z = model["intercept"] + ((X - model["mean"]) / model["scale"]) @ np.asarray(model["coef"])
    return _sigmoid(z)


def contributions(model, X):
    """Per-feature contributions to the log-odds of churn (0 = the average customer)."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    return (X - model["mean"]) / model["scale"] * np.asarray(model["coef"])


def log_loss(p, y):
    p = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    y = np.asarray(y, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def brier(p, y):
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y, dtype=float)) ** 2))


def reliability(p, y, bins=10):
    """Predicted vs observed by bins of predicted probability: ``[(low, high, count,
    mean predicted, observed rate)]`` for the non-empty bins."""
    p = np.asarray(p, dtype=float)
    y = np.asarray(y, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table = []
    for i in range(bins):
        chosen = index == i
        if chosen.any():
            table.append(
                (
                    float(edges[i]),
                    float(edges[i + 1]),
                    int(chosen.sum()),
                    float(p[chosen].mean()),
                    float(y[chosen].mean()),
                )
            )
    return table


def backtest(X, y, fold, grid=C_GRID):
    """Choose C on time: train on the older cut-offs (``fold > 0``), validate on the most
    recent one (``fold == 0``), then refit on every cut-off with the chosen C.

    Returns ``(model, report)``; the report's figures are the out-of-time validation's.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    fold = np.asarray(fold)
    train, valid = fold > 0, fold == 0
    best = None
    for C in grid:
        model = logistic_fit(X[train], y[train], C)
        loss = log_loss(logistic_predict(model, X[valid]), y[valid])
        if best is None or loss < best[0] - 1e-9:
            best = (loss, C, model)
    loss, C, model = best
    predicted = logistic_predict(model, X[valid])
    report = {
        "C": C,
        "log_loss": loss,
        "brier": brier(predicted, y[valid]),
        "auc": float(roc_auc(predicted, y[valid])),
        "reliability": reliability(predicted, y[valid]),
        "validation_rows": int(valid.sum()),
        "training_rows": int(train.sum()),
        "churn_rate": float(y[valid].mean()),
    }
    return logistic_fit(X, y, C), report


# --- Gamma-Gamma spend model (Fader, Hardie and Lee 2005) ---


def _lgamma(x):
    """ln Gamma(x) for positive arrays: recurrence to x + 6, then Stirling's series."""
    x = np.asarray(x, dtype=float)
    shift = np.log(x * (x + 1) * (x + 2) * (x + 3) * (x + 4) * (x + 5))
    z = x + 6.0
    z2 = 1.0 / (z * z)
    series = (1.0 / 12 - z2 * (1.0 / 360 - z2 * (1.0 / 1260 - z2 / 1680))) / z
    return (z - 0.5) * np.log(z) - z + 0.5 * np.log(2 * np.pi) + series - shift


GG_DEFAULT = (6.0, 4.0, 15.0)  # p, q, v


def gamma_gamma_fit(n, mean_spend, weights=None):
    """Spend parameters ``(p, q, v)``: each purchase's value is Gamma(p, nu), nu Gamma(q, v).

    ``n``: purchases (>= 1) of each customer, ``mean_spend``: their average value (> 0).
    """
    n = np.asarray(n, dtype=float)
    m = np.asarray(mean_spend, dtype=float)
    keep = (n >= 1) & (m > 0)
    n, m = n[keep], m[keep]
    if n.size < 10:
        return GG_DEFAULT
    w = np.ones(n.size) if weights is None else np.asarray(weights, dtype=float)[keep]
    scale = np.average(m, weights=w)
    ms = m / scale  # fit on a unit scale, then scale v back

    def objective(log_params):
        p, q, v = np.exp(np.clip(log_params, -6.0, 8.0))
        ll = (
            _lgamma(p * n + q)
            - _lgamma(p * n)
            - _lgamma(np.full_like(n, q))
            + q * np.log(v)
            + (p * n - 1) * np.log(ms)
            + p * n * np.log(n)
            - (p * n + q) * np.log(v + n * ms)
        )
        return -(w * ll).sum() / w.sum() + 1e-3 * np.sum(log_params**2)

    p, q, v = np.exp(np.clip(_nelder_mead(objective, np.log([2.0, 3.0, 2.0])), -6.0, 8.0))
    return (float(p), float(max(q, 1.01)), float(v * scale))


def gamma_gamma_spend(params, n, mean_spend):
    """Expected value of a customer's next purchase given ``n`` purchases averaging
    ``mean_spend``: a weighted mean of their own average and the population's."""
    p, q, v = params
    n = np.asarray(n, dtype=float)
    return p * (v + n * np.asarray(mean_spend, dtype=float)) / (p * n + q - 1.0)
