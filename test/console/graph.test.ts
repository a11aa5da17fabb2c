import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { aslGraph, END, START } from '../../console/asl-graph.ts';
import { graphSvg } from '../../console/graph-svg.ts';
import { stateOutcomes } from '../../console/state-outcomes.ts';
import { readDefinitionTemplate } from '../../workflows/rotate-device/render.ts';

const entered = (id: number, name: string): HistoryEvent => ({
  id,
  timestamp: new Date(id * 1000),
  type: 'TaskStateEntered',
  stateEnteredEventDetails: { name },
});
const exited = (id: number, name: string): HistoryEvent => ({
  id,
  timestamp: new Date(id * 1000),
  type: 'TaskStateExited',
  stateExitedEventDetails: { name },
});
const event = (id: number, type: string): HistoryEvent => ({
  id,
  timestamp: new Date(id * 1000),
  type: type as HistoryEvent['type'],
});

describe('the state-machine graph', () => {
  it('has every state of the rotate-device definition and its Catch transitions', () => {
    // Act
    const graph = aslGraph(readDefinitionTemplate());

    // Assess
    const ids = graph.nodes.map((n) => n.id);
    expect(ids).toEqual(expect.arrayContaining([START, END, 'ClaimThing', 'RequestCsr', 'IssueAndDeliver']));
    expect(graph.edges).toContainEqual(
      expect.objectContaining({ from: 'IssueAndDeliver', to: 'RevokeNewCertificate', kind: 'catch' }),
    );
    expect(graph.edges).toContainEqual({ from: START, to: graph.startAt, kind: 'next' });
  });

  it('refuses a definition whose transition leads nowhere', () => {
    // Act / Assess
    expect(() =>
      aslGraph(JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Missing' } } })),
    ).toThrow(/A leads to Missing/);
  });

  it('colours a failed state, and after a redrive what the execution went through since', () => {
    // Prepare
    const failedRun: HistoryEvent[] = [
      event(1, 'ExecutionStarted'),
      entered(2, 'ClaimThing'),
      exited(3, 'ClaimThing'),
      entered(4, 'RequestCsr'),
      event(5, 'TaskTimedOut'),
      event(6, 'ExecutionFailed'),
    ];
    const redriven = [
      ...failedRun,
      event(7, 'ExecutionRedriven'),
      entered(8, 'RequestCsr'),
      exited(9, 'RequestCsr'),
      entered(10, 'IssueAndDeliver'),
      event(11, 'TaskFailed'),
      exited(12, 'IssueAndDeliver'),
      entered(13, 'RequestCsr'),
    ];

    // Act
    const before = stateOutcomes(failedRun);
    const after = stateOutcomes(redriven);
    const svg = graphSvg(aslGraph(readDefinitionTemplate()), before, 'FAILED');

    // Assess
    expect(Object.fromEntries(before)).toEqual({ ClaimThing: 'succeeded', RequestCsr: 'failed' });
    expect(Object.fromEntries(after)).toEqual({
      ClaimThing: 'succeeded',
      RequestCsr: 'in progress',
      IssueAndDeliver: 'caught',
    });
    expect(svg).toContain('data-state="RequestCsr" data-outcome="failed"');
    expect(svg).toContain('data-state="RetireOldCertificate" data-outcome="not reached"');
    expect(svg).toContain('data-state="End" data-outcome="not reached"');
  });
});
