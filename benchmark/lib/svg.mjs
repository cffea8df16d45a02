// A small hand-written SVG line chart: hit ratio against cache size, one
// polyline per policy, axes, grid and legend. No dependencies.

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#7f7f7f', '#8c564b', '#e377c2']

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/**
 * @param {object} o
 * @param {string} o.title
 * @param {string} [o.subtitle]
 * @param {(string|number)[]} o.x        category labels (cache sizes), equally spaced
 * @param {{name: string, values: (number|null)[], dash?: string, color?: string, width?: number, opacity?: number}[]} o.series  values in %
 * @param {string} [o.xLabel]
 * @param {string} [o.yLabel]
 */
export function lineChart({ title, subtitle, x, series, xLabel = 'cache size (entries)', yLabel = 'hit ratio (%)' }) {
  const W = 790
  const H = 440
  const m = { top: subtitle ? 62 : 48, right: 255, bottom: 58, left: 62 }
  const pw = W - m.left - m.right
  const ph = H - m.top - m.bottom
  const all = series.flatMap((s) => s.values).filter((v) => v !== null && Number.isFinite(v))
  let lo = Math.floor(Math.min(...all) / 10) * 10
  let hi = Math.ceil(Math.max(...all) / 10) * 10
  if (hi === lo) hi = lo + 10
  lo = Math.max(0, lo)
  hi = Math.min(100, Math.max(hi, lo + 10))
  const step = hi - lo > 50 ? 20 : hi - lo > 20 ? 10 : 5
  const px = (i) => m.left + (x.length === 1 ? pw / 2 : (i * pw) / (x.length - 1))
  const py = (v) => m.top + ph - ((v - lo) / (hi - lo)) * ph
  const out = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`)
  out.push(`<text x="${m.left}" y="24" font-size="16" font-weight="bold" fill="#222">${esc(title)}</text>`)
  if (subtitle) out.push(`<text x="${m.left}" y="44" font-size="12" fill="#555">${esc(subtitle)}</text>`)
  // Grid and y axis labels.
  for (let v = lo; v <= hi + 1e-9; v += step) {
    const y = py(v).toFixed(1)
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e3e3e3"/>`)
    out.push(`<text x="${m.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${v}</text>`)
  }
  // X axis ticks.
  x.forEach((label, i) => {
    const xx = px(i).toFixed(1)
    out.push(`<line x1="${xx}" y1="${m.top}" x2="${xx}" y2="${m.top + ph}" stroke="#f0f0f0"/>`)
    out.push(`<line x1="${xx}" y1="${m.top + ph}" x2="${xx}" y2="${m.top + ph + 5}" stroke="#444"/>`)
    out.push(`<text x="${xx}" y="${m.top + ph + 19}" text-anchor="middle" fill="#444">${esc(typeof label === 'number' ? label.toLocaleString('en-US') : label)}</text>`)
  })
  // Axes.
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="#444"/>`)
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}" stroke="#444"/>`)
  out.push(`<text x="${m.left + pw / 2}" y="${H - 14}" text-anchor="middle" fill="#222">${esc(xLabel)}</text>`)
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(yLabel)}</text>`)
  // Series.
  series.forEach((s, k) => {
    const color = s.color ?? COLORS[k % COLORS.length]
    const width = s.width ?? 2
    const dash = (s.dash ? ` stroke-dasharray="${s.dash}"` : '') + (s.opacity ? ` stroke-opacity="${s.opacity}"` : '')
    const pts = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : `${px(i).toFixed(1)},${py(v).toFixed(1)}`))
    // Split into runs at missing values.
    let run = []
    const flush = () => {
      if (run.length > 1) out.push(`<polyline points="${run.join(' ')}" fill="none" stroke="${color}" stroke-width="${width}"${dash} stroke-linejoin="round"/>`)
      run = []
    }
    for (const p of pts) (p === null ? flush() : run.push(p))
    flush()
    for (const p of pts) {
      if (p === null) continue
      const [cx, cy] = p.split(',')
      out.push(`<circle cx="${cx}" cy="${cy}" r="${width > 3 ? 4.5 : 3.2}" fill="${color}"${s.opacity ? ` fill-opacity="${s.opacity}"` : ''}/>`)
    }
    // Legend entry.
    const ly = m.top + 8 + k * 22
    const lx = m.left + pw + 18
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="${color}" stroke-width="${width}"${dash}/>`)
    out.push(`<circle cx="${lx + 13}" cy="${ly}" r="3.2" fill="${color}"/>`)
    out.push(`<text x="${lx + 34}" y="${ly}" dominant-baseline="middle" fill="#222">${esc(s.name)}</text>`)
  })
  out.push('</svg>')
  return out.join('\n') + '\n'
}
