// Hand-written SVG charts (no dependencies; a chart library would pull a
// DOM or a canvas into the benchmark for two chart kinds):
// - lineCharts: small multiples of line charts (hit ratio against capacity);
// - rangeChart: one row per case, a bar per series from the reference line
//   (1× for ratios) to its median, with a whisker over its range (min–max),
//   on a log or linear axis.
// Each returns one SVG document with a title, a subtitle, an optional
// warning line (red) and one legend.

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#7f7f7f', '#8c564b', '#e377c2', '#17becf', '#bcbd22']
const FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
const num = (v) => (typeof v === 'number' ? v.toLocaleString('en-US') : v)
const f1 = (x) => x.toFixed(1)

/** The document around a chart body; the body starts below LEGEND_Y. */
function document(width, height, { title, subtitle, warning }, body) {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="17" font-weight="bold" fill="#222">${esc(title)}</text>`,
    subtitle ? `<text x="16" y="46" fill="#555">${esc(subtitle)}</text>` : '',
    warning ? `<text x="16" y="64" fill="#c00000" font-weight="bold">${esc(warning)}</text>` : '',
    ...body,
    '</svg>',
  ].join('\n') + '\n'
}

/** A horizontal legend row at (x, y): line + dot + name per series. */
function legend(series, x, y, width) {
  const out = []
  let lx = x
  let ly = y
  for (const s of series) {
    const w = 50 + s.name.length * 7.2
    if (lx + w > x + width) {
      lx = x
      ly += 20
    }
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : ''
    if (s.points) out.push(`<path d="M${lx + 12} ${ly - 6}L${lx + 18} ${ly}L${lx + 12} ${ly + 6}L${lx + 6} ${ly}Z" fill="${s.color}" stroke="#222" stroke-width="0.8"/>`)
    else {
      out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.color}" stroke-width="${Math.min(s.width ?? 2, 5)}"${dash}/>`)
      out.push(`<circle cx="${lx + 12}" cy="${ly}" r="3.5" fill="${s.color}"/>`)
    }
    out.push(`<text x="${lx + 30}" y="${ly}" dominant-baseline="middle" fill="#222">${esc(s.name)}</text>`)
    lx += w
  }
  return { out, bottom: ly + 12 }
}

const LEGEND_Y = 86

const colored = (series) => series.map((s, k) => ({ ...s, color: s.color ?? COLORS[k % COLORS.length] }))

/**
 * Small multiples of line charts sharing one legend.
 * @param {object} o
 * @param {string} o.title
 * @param {string} [o.subtitle]
 * @param {string} [o.warning]
 * @param {{name: string, dash?: string, color?: string, width?: number, opacity?: number, points?: boolean}[]} o.series  points: markers only (figures published elsewhere)
 * @param {{title: string, x: (string|number)[], values: (number|null)[][]}[]} o.panels  values[series][x]
 * @param {number} [o.columns]
 * @param {string} [o.xLabel]
 * @param {string} [o.yLabel]
 */
export function lineCharts({ title, subtitle, warning, series, panels, columns = 3, xLabel = 'cache size (entries)', yLabel = 'hit ratio (%)' }) {
  const PW = 300
  const PH = 210
  const m = { top: 30, right: 18, bottom: 42, left: 48 }
  const cols = Math.min(columns, panels.length)
  const width = 16 + cols * (PW + m.left + m.right)
  const styled = colored(series)
  const head = legend(styled, 16, LEGEND_Y, width - 32)
  const top = head.bottom + 10
  const rows = Math.ceil(panels.length / cols)
  const height = top + rows * (PH + m.top + m.bottom) + 10
  const body = [...head.out]
  panels.forEach((panel, i) => {
    const ox = 16 + (i % cols) * (PW + m.left + m.right) + m.left
    const oy = top + Math.floor(i / cols) * (PH + m.top + m.bottom) + m.top
    const all = panel.values.flat().filter((v) => v !== null && Number.isFinite(v))
    let lo = Math.max(0, Math.floor(Math.min(...all) / 10) * 10)
    let hi = Math.min(100, Math.ceil(Math.max(...all) / 10) * 10)
    if (hi - lo < 10) hi = Math.min(100, lo + 10)
    if (hi - lo < 10) lo = hi - 10
    const step = hi - lo > 50 ? 20 : hi - lo > 20 ? 10 : 5
    const px = (j) => ox + (panel.x.length === 1 ? PW / 2 : (j * PW) / (panel.x.length - 1))
    const py = (v) => oy + PH - ((v - lo) / (hi - lo)) * PH
    body.push(`<text x="${ox}" y="${oy - 10}" font-size="13" font-weight="bold" fill="#222">${esc(panel.title)}</text>`)
    for (let v = lo; v <= hi + 1e-9; v += step) {
      body.push(`<line x1="${ox}" y1="${f1(py(v))}" x2="${ox + PW}" y2="${f1(py(v))}" stroke="#e6e6e6"/>`)
      body.push(`<text x="${ox - 6}" y="${f1(py(v))}" text-anchor="end" dominant-baseline="middle" fill="#555">${v}</text>`)
    }
    panel.x.forEach((label, j) => {
      body.push(`<line x1="${f1(px(j))}" y1="${oy + PH}" x2="${f1(px(j))}" y2="${oy + PH + 4}" stroke="#444"/>`)
      body.push(`<text x="${f1(px(j))}" y="${oy + PH + 16}" text-anchor="middle" fill="#555">${esc(num(label))}</text>`)
    })
    body.push(`<line x1="${ox}" y1="${oy + PH}" x2="${ox + PW}" y2="${oy + PH}" stroke="#444"/>`)
    body.push(`<line x1="${ox}" y1="${oy}" x2="${ox}" y2="${oy + PH}" stroke="#444"/>`)
    body.push(`<text x="${ox + PW / 2}" y="${oy + PH + 32}" text-anchor="middle" fill="#555" font-size="11">${esc(xLabel)}</text>`)
    body.push(`<text transform="translate(${ox - 36} ${oy + PH / 2}) rotate(-90)" text-anchor="middle" fill="#555" font-size="11">${esc(yLabel)}</text>`)
    styled.forEach((s, k) => {
      const values = panel.values[k] ?? []
      const stroke = `stroke="${s.color}" stroke-width="${s.width ?? 2}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}${s.opacity ? ` stroke-opacity="${s.opacity}"` : ''}`
      const pts = values.map((v, j) => (v === null || !Number.isFinite(v) ? null : [px(j), py(v)]))
      let run = []
      const flush = () => {
        if (run.length > 1) body.push(`<polyline points="${run.map(([x, y]) => `${f1(x)},${f1(y)}`).join(' ')}" fill="none" ${stroke} stroke-linejoin="round"/>`)
        run = []
      }
      if (s.points) {
        // Figures published elsewhere: diamonds, no line.
        for (const p of pts) if (p) body.push(`<path d="M${f1(p[0])} ${f1(p[1] - 6)}L${f1(p[0] + 6)} ${f1(p[1])}L${f1(p[0])} ${f1(p[1] + 6)}L${f1(p[0] - 6)} ${f1(p[1])}Z" fill="${s.color}" stroke="#222" stroke-width="0.8"/>`)
        return
      }
      for (const p of pts) (p === null ? flush() : run.push(p))
      flush()
      for (const p of pts) if (p) body.push(`<circle cx="${f1(p[0])}" cy="${f1(p[1])}" r="3" fill="${s.color}"${s.opacity ? ` fill-opacity="${s.opacity}"` : ''}/>`)
    })
  })
  return document(width, height, { title, subtitle, warning }, body)
}

/**
 * Axis ticks: on a log axis, powers of 10 times 1, 2, 5 (fewer when a decade
 * is narrow: `pxPerDecade`); on a linear one, about six round steps.
 */
function ticks(lo, hi, log, pxPerDecade) {
  const out = []
  if (log) {
    const multiples = pxPerDecade >= 220 ? [1, 2, 5] : pxPerDecade >= 110 ? [1, 3] : [1]
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const k of multiples) {
        const v = k * 10 ** e
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v)
      }
    }
    return out
  }
  const raw = (hi - lo) / 6
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw)
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(+v.toPrecision(12))
  return out
}

const valueLabel = (v) => (v >= 100 ? num(Math.round(v)) : String(+v.toPrecision(3)))
const tickLabel = (v) => (v >= 1000 ? num(v) : v >= 1 ? String(+v.toPrecision(3)) : String(+v.toPrecision(2)))

/**
 * Bar-and-whisker rows in one or more panels sharing one legend.
 * @param {object} o
 * @param {string} o.title
 * @param {string} [o.subtitle]
 * @param {string} [o.warning]
 * @param {{name: string, color?: string}[]} o.series
 * @param {{title: string, rows: string[], values: ({median: number, min: number, max: number}|null)[][], log?: boolean, reference?: number, unit?: string}[]} o.panels  values[row][series]
 * @param {boolean} [o.sharedAxis]  one axis range for every panel (same units)
 */
export function rangeChart({ title, subtitle, warning, series, panels, sharedAxis = false }) {
  const width = 900
  const longest = Math.max(...panels.flatMap((p) => p.rows.map((r) => r.length)))
  const labelWidth = Math.min(420, Math.max(120, 7 * longest + 16))
  const plotLeft = 16 + labelWidth
  const plotWidth = width - plotLeft - 30
  const styled = colored(series)
  const head = legend(styled, 16, LEGEND_Y, width - 32)
  const body = [...head.out]
  let y = head.bottom + 14
  const extent = (p) => [...p.values.flat().filter(Boolean).flatMap((v) => [v.min, v.max]), ...(p.reference === undefined ? [] : [p.reference])]
  const everything = panels.flatMap(extent)
  for (const panel of panels) {
    const log = panel.log ?? false
    const lane = Math.max(4, Math.min(9, 30 / styled.length))
    const rowHeight = Math.max(22, lane * styled.length + 8)
    const all = sharedAxis ? everything : extent(panel)
    let lo = Math.min(...all)
    let hi = Math.max(...all)
    if (log) {
      lo = 10 ** (Math.floor(Math.log10(lo) * 4) / 4)
      hi = 10 ** (Math.ceil(Math.log10(hi) * 4) / 4)
    } else {
      lo = Math.min(0, lo)
      hi = hi * 1.05 || 1
    }
    const px = (v) => plotLeft + (log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo)) * plotWidth
    body.push(`<text x="16" y="${y + 4}" font-size="13" font-weight="bold" fill="#222">${esc(panel.title)}</text>`)
    const top = y + 16
    const plotHeight = panel.rows.length * rowHeight
    for (const v of ticks(lo, hi, log, log ? plotWidth / (Math.log10(hi) - Math.log10(lo)) : 0)) {
      body.push(`<line x1="${f1(px(v))}" y1="${top}" x2="${f1(px(v))}" y2="${top + plotHeight}" stroke="#e6e6e6"/>`)
      body.push(`<text x="${f1(px(v))}" y="${top + plotHeight + 14}" text-anchor="middle" fill="#555">${esc(tickLabel(v))}${esc(panel.unit ?? '')}</text>`)
    }
    if (panel.reference !== undefined) body.push(`<line x1="${f1(px(panel.reference))}" y1="${top - 4}" x2="${f1(px(panel.reference))}" y2="${top + plotHeight}" stroke="#222" stroke-width="1.5" stroke-dasharray="4 3"/>`)
    panel.rows.forEach((label, r) => {
      const ry = top + r * rowHeight
      if (r % 2 === 0) body.push(`<rect x="16" y="${ry}" width="${width - 32}" height="${rowHeight}" fill="#f6f6f6"/>`)
      body.push(`<text x="${plotLeft - 10}" y="${f1(ry + rowHeight / 2)}" text-anchor="end" dominant-baseline="middle" fill="#222">${esc(label)}</text>`)
      styled.forEach((s, k) => {
        const v = panel.values[r]?.[k]
        if (!v) return
        const cy = ry + 4 + lane * (k + 0.5) + (rowHeight - 8 - lane * styled.length) / 2
        // The bar runs from the reference line (1× for ratios; else the axis' start) to the median.
        const from = px(panel.reference ?? lo)
        const to = px(v.median)
        const half = Math.max(1.5, lane * 0.38)
        body.push(`<rect x="${f1(Math.min(from, to))}" y="${f1(cy - half)}" width="${f1(Math.max(1, Math.abs(to - from)))}" height="${f1(2 * half)}" fill="${s.color}" fill-opacity="0.45"/>`)
        // The whisker: min–max over the rounds, with end caps.
        const cap = Math.max(1.5, half * 0.8)
        body.push(`<path d="M${f1(px(v.min))} ${f1(cy)}H${f1(px(v.max))}M${f1(px(v.min))} ${f1(cy - cap)}V${f1(cy + cap)}M${f1(px(v.max))} ${f1(cy - cap)}V${f1(cy + cap)}" stroke="${s.color}" stroke-width="1.2" fill="none"/>`)
        body.push(`<path d="M${f1(to)} ${f1(cy - half)}V${f1(cy + half)}" stroke="${s.color}" stroke-width="2.5"/>`)
        // With few series the median is written beside its whisker.
        if (styled.length <= 3) body.push(`<text x="${f1(Math.max(px(v.max), to) + 6)}" y="${f1(cy)}" dominant-baseline="middle" font-size="10" fill="#333">${esc(valueLabel(v.median))}${esc(panel.unit ?? '')}</text>`)
      })
    })
    body.push(`<line x1="${plotLeft}" y1="${top + plotHeight}" x2="${plotLeft + plotWidth}" y2="${top + plotHeight}" stroke="#444"/>`)
    y = top + plotHeight + 36
  }
  return document(width, y, { title, subtitle, warning }, body)
}

/** A rangeChart panel of ratios (values: spreads per row and series): log axis, a line at 1×. */
export const ratioPanel = (title, rows, values) => ({ title, rows, values, log: true, reference: 1, unit: '×' })
