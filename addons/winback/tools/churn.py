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
