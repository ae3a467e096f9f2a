/**
 * Each function group's handler map serves exactly the routes the route
 * table gives that group: API Gateway sends a function only those, so a
 * handler missing from its group would answer 500 on AWS alone.
 */
import { describe, expect, it } from 'vitest';
import { ALL_HANDLERS } from '../../../functions/http/app';
import { publicHandlers } from '../../../functions/http/groups/public';
import { readHandlers } from '../../../functions/http/groups/read';
import { writeHandlers } from '../../../functions/http/groups/write';
import { type FunctionGroup, routes } from '../../../functions/http/routes';

const GROUP_HANDLERS: Record<FunctionGroup, object> = {
  read: readHandlers,
  write: writeHandlers,
  public: publicHandlers,
};

describe('the function groups', () => {
  it.each(Object.keys(GROUP_HANDLERS) as FunctionGroup[])(
    'give the %s function a handler for each of its routes and for no other',
    (group) => {
      const expected = new Set(routes.filter((r) => r.group === group).map((r) => r.handler));
      expect(new Set(Object.keys(GROUP_HANDLERS[group]))).toEqual(expected);
    },
  );

  it('together serve every route of the table', () => {
    expect(new Set(Object.keys(ALL_HANDLERS))).toEqual(new Set(routes.map((r) => r.handler)));
  });
});
