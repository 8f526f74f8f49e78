"""What the flag studies share: the shared sets' truth by path, ROC-AUC and specificity of scored slices.

A slice is a dict with "p" (P(COVID)), "y" (1 COVID, 0 not) and "called" (labelled COVID at the locked
threshold)."""


def truth(path):
    """1 for COVID, 0 for not, None when the path does not say (the shared sets' folder conventions)."""
    p = path.replace("\\", "/")
    if "/P001" in p:
        return 1
    if "/cap001" in p or "/normal001" in p:
        return 0
    if "/non-covid/" in p:
        return 0
    if "/covid/" in p:
        return 1
    return None


def auc(slices):
    pos = [s["p"] for s in slices if s["y"] == 1]
    neg = [s["p"] for s in slices if s["y"] == 0]
    if not pos or not neg:
        return float("nan")
    return sum((a > b) + 0.5 * (a == b) for a in pos for b in neg) / (len(pos) * len(neg))


def specificity(slices):
    neg = [s for s in slices if s["y"] == 0]
    return float("nan") if not neg else sum(not s["called"] for s in neg) / len(neg)
