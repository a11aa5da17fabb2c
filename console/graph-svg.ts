import dagre from '@dagrejs/dagre';
import { type AslGraph, END, START } from './asl-graph.ts';
import { escapeHtml } from './html.ts';
import { outcomeOf, type StateOutcome } from './state-outcomes.ts';

const NODE_HEIGHT = 36;
const CHAR_WIDTH = 7.5;

const nodeWidth = (label: string): number => Math.max(90, Math.round(label.length * CHAR_WIDTH + 32));
const labelOf = (id: string): string => (id === START ? 'Start' : id === END ? 'End' : id);
const fmt = (n: number): string => String(Math.round(n * 10) / 10);

/**
 * The state machine drawn as SVG, laid out top to bottom by dagre: each state a box coloured by
 * its outcome in this execution (classes in console.css), each transition an arrow, Catch
 * transitions dashed and labelled with their errors.
 */
export function graphSvg(
  graph: AslGraph,
  outcomes: ReadonlyMap<string, StateOutcome>,
  executionStatus: string | undefined,
): string {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 40, ranksep: 46, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    g.setNode(node.id, { width: nodeWidth(labelOf(node.id)), height: NODE_HEIGHT });
  }
  for (const [i, edge] of graph.edges.entries()) {
    const label = edge.label ?? '';
    g.setEdge(
      edge.from,
      edge.to,
      label ? { label, width: label.length * 6.2, height: 14, labelpos: 'c' } : {},
      `e${i}`,
    );
  }
  dagre.layout(g);
  const size = g.graph();
  const width = Math.ceil(size.width ?? 300);
  const height = Math.ceil(size.height ?? 300);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="graph" role="img" aria-label="state machine graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" class="arrowhead"/></marker></defs>',
  ];
  for (const [i, edge] of graph.edges.entries()) {
    const laid = g.edge({ v: edge.from, w: edge.to, name: `e${i}` });
    const points: ReadonlyArray<{ x: number; y: number }> = laid?.points ?? [];
    if (points.length === 0) continue;
    const d = points.map((p, j) => `${j === 0 ? 'M' : 'L'}${fmt(p.x)},${fmt(p.y)}`).join(' ');
    parts.push(`<path class="edge edge-${edge.kind}" d="${d}" marker-end="url(#arrow)"/>`);
    if (edge.label && laid?.x !== undefined && laid.y !== undefined) {
      parts.push(
        `<text class="edge-label" x="${fmt(laid.x)}" y="${fmt(laid.y + 4)}" text-anchor="middle">${escapeHtml(edge.label)}</text>`,
      );
    }
  }
  for (const node of graph.nodes) {
    const laid = g.node(node.id);
    const w = laid.width ?? 90;
    const x = (laid.x ?? 0) - w / 2;
    const y = (laid.y ?? 0) - NODE_HEIGHT / 2;
    const outcome = pseudoOutcome(node.id, outcomes, executionStatus);
    const cls = outcome.replace(' ', '-');
    const label = labelOf(node.id);
    const pseudo = node.id === START || node.id === END;
    parts.push(
      `<g class="state state-${cls}${pseudo ? ' pseudo' : ''}" data-state="${escapeHtml(label)}" data-outcome="${outcome}">` +
        `<title>${escapeHtml(`${label} (${node.type}): ${outcome}`)}</title>` +
        `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(w)}" height="${NODE_HEIGHT}" rx="${pseudo ? 18 : 6}"/>` +
        `<text x="${fmt(laid.x ?? 0)}" y="${fmt((laid.y ?? 0) + 5)}" text-anchor="middle">${escapeHtml(label)}</text></g>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Start is reached by any execution; End once it succeeded. */
function pseudoOutcome(
  id: string,
  outcomes: ReadonlyMap<string, StateOutcome>,
  executionStatus: string | undefined,
): StateOutcome {
  if (id === START) return executionStatus === undefined ? 'not reached' : 'succeeded';
  if (id === END) return executionStatus === 'SUCCEEDED' ? 'succeeded' : 'not reached';
  return outcomeOf(outcomes, id);
}

/** The legend under the graph, one swatch per outcome. */
export const OUTCOMES: readonly StateOutcome[] = [
  'succeeded',
  'caught',
  'failed',
  'in progress',
  'not reached',
];
