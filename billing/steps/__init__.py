"""The internal steps billing's rep actions and sweeps are built from; no view calls them.

- locks: row locks in the one fixed order;
- invoicing: issuing an invoice from lines, and voiding one;
- opening: what a sale asks for now, and the open orders it leaves;
- charging: card charges in three steps, and money received outside the gateway;
- refunding: settling a refund with the gateway;
- periods: billing one period of an open order, and the sweep's status changes;
- commissions: what partners are owed on an invoice, and posting the difference;
- amounts: validating an amount a rep entered;
- keys: claiming an action's idempotency key (core.idempotency, with billing's error).

The rep actions (billing.actions) and the tasks (billing.tasks) import these; these never
import the actions.
"""
