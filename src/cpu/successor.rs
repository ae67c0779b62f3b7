//! CPU twin of `shaders/successor.wgsl`.

/// One mark round: `mark` with `jump[i]` marked (1) for every marked row `i` (the engine walks on the
/// CPU; this twin checks the rounds in tests).
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) fn mark(mark: &[u64], jump: &[u64]) -> Vec<u64> {
    let mut out = mark.to_vec();
    for (m, &j) in mark.iter().zip(jump) {
        if *m != 0
            && let Some(o) = out.get_mut(j as usize)
        {
            *o = 1;
        }
    }
    out
}

/// 1 for every row on the walk `0, next[0], ...` (until it repeats or leaves the rows), else 0: what
/// the pointer-jumping rounds of the shader mark, by walking.
pub(crate) fn walk_marks(next: &[u64]) -> Vec<u64> {
    let mut out = vec![0u64; next.len()];
    let mut s = 0usize;
    while s < next.len() && out[s] == 0 {
        out[s] = 1;
        s = usize::try_from(next[s]).unwrap_or(usize::MAX);
    }
    out
}

/// `range_ends`: `min(max(min(j - 1, cut), row + 1), last)` for each row (`cut` = `j` when absent).
pub(crate) fn range_ends(j: &[u64], cut: Option<&[u64]>, last: u64) -> Vec<u64> {
    let cut = cut.unwrap_or(j);
    j.iter()
        .zip(cut)
        .enumerate()
        .map(|(row, (&j, &c))| j.saturating_sub(1).min(c).max(row as u64 + 1).min(last))
        .collect()
}

/// `successors`: each row's successor (`stop_at_last` is OP `SUCCESSORS_STOP_AT_LAST`), as in the shader.
pub(crate) fn successors(end: &[u64], raw: &[u64], last: u64, stop_at_last: bool) -> Vec<u64> {
    end.iter()
        .zip(raw)
        .enumerate()
        .map(|(row, (&e, &r))| {
            let row = row as u64;
            if !stop_at_last {
                r.max(row).min(e).max(row + 1).min(last)
            } else if e == last {
                last
            } else {
                r.max(row + 1).min(e)
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pointer jumping with the mark rounds marks what the walk reaches.
    #[test]
    fn jumping_marks_the_walk() {
        let mut seed = 7u64;
        for len in [1usize, 2, 3, 5, 17, 64, 100] {
            for _ in 0..20 {
                let next: Vec<u64> = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                        (seed >> 33) % len as u64
                    })
                    .collect();
                let mut m = vec![0u64; len];
                m[0] = 1;
                let mut jump = next.clone();
                let mut reach = 1usize;
                while reach < len {
                    m = mark(&m, &jump);
                    jump = jump.iter().map(|&j| jump[j as usize]).collect();
                    reach *= 2;
                }
                m = mark(&m, &jump);
                assert_eq!(m, walk_marks(&next), "{next:?}");
            }
        }
    }
}
