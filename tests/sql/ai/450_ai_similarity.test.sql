-- Related errors: each new group gets a document (type, normalized message, newest in-app frames) at
-- capture; app.related_errors lists the most similar groups of the same organization, nearest first,
-- from a score of 0.3, never the error itself; groups from before the feature get their documents
-- from app.error_similarity_fill; api.related_errors answers only for errors the caller can see.
-- The search is bounded (the groups whose document sorts next to the error's, as written and
-- reversed): among hundreds of similar groups it still finds the same frames and the nearest.
BEGIN;
SELECT plan(14);

INSERT INTO app.organizations (id, name) VALUES
  ('00000000-0000-0000-0000-0000000000a1', 'shop'), ('00000000-0000-0000-0000-0000000000b1', 'other'),
  ('00000000-0000-0000-0000-0000000000c1', 'big');
SELECT app.rate_limit_set(o, 0)
  FROM unnest(ARRAY['00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000b1',
                    '00000000-0000-0000-0000-0000000000c1']::uuid[]) AS o;
UPDATE app.capture_job_policy SET enabled = false WHERE job_kind = 'ai.analyze';
CREATE FUNCTION pg_temp.capture(p_org uuid, p_message text, p_function text) RETURNS uuid
LANGUAGE sql AS $$
  SELECT ((app.capture_one(p_org, NULL, jsonb_build_object(
    'error_type', 'javascript', 'message', p_message,
    'stack_trace', format(E'%s\n    at %s (https://shop.test/static/cart.js:10:5)\n    at main (https://shop.test/static/main.js:1:1)',
                          p_message, p_function)))).result ->> 'id')::uuid
$$;

SELECT is(app.error_similarity_document('javascript', 'TypeError: Cannot read properties of undefined (reading ''total'') at 42',
                                        E'TypeError: x\n    at renderCart (https://shop.test/static/cart.js:10:5)\n'
                                        '    at main (https://shop.test/static/main.js:1:1)'),
  'javascript TypeError: Cannot read properties of undefined (reading <quoted>) at <int> renderCart cart.js main main.js',
  'a group''s document: its type, normalized message and newest in-app frames as function and file');

SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'TypeError: Cannot read properties of undefined (reading ''total'')',
                       'renderCart') AS cart \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'TypeError: Cannot read properties of undefined (reading ''total'')',
                       'renderCheckout') AS checkout \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'TypeError: Cannot read properties of null (reading ''total'')',
                       'renderMiniCart') AS mini_cart \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000a1', 'SyntaxError: Unexpected end of JSON input', 'loadFeed') AS feed \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000b1', 'TypeError: Cannot read properties of undefined (reading ''total'')',
                       'renderCart') AS foreign_cart \gset

SELECT is((SELECT count(*)::int FROM app.error_similarity x WHERE x.error_id IN (:'cart', :'checkout', :'mini_cart', :'feed', :'foreign_cart')),
  5, 'every new group has its document from capture');
SELECT results_eq(format('SELECT id FROM app.related_errors(%L)', :'cart'), format('VALUES (%L::uuid), (%L::uuid)', :'checkout', :'mini_cart'),
  'the related errors are the similar groups of the same organization, nearest first, without the error itself');
SELECT ok((SELECT bool_and(r.score BETWEEN 0.3 AND 1) AND (array_agg(r.score ORDER BY r.score DESC))[1] > (array_agg(r.score ORDER BY r.score DESC))[2]
             FROM app.related_errors(:'cart') AS r), '... each with its score, from 0.3 to 1, the nearest highest');
SELECT results_eq(format('SELECT id FROM app.related_errors(%L, 1)', :'cart'), format('VALUES (%L::uuid)', :'checkout'),
  'the limit keeps the nearest');
SELECT is_empty(format('SELECT * FROM app.related_errors(%L, 5, 0.99)', :'cart'), 'a minimum score above every match lists none');
SELECT is_empty(format('SELECT * FROM app.related_errors(%L)', :'feed'), 'an error unlike every other has none');
SELECT is_empty($$SELECT * FROM app.related_errors('00000000-0000-0000-0000-00000000dead')$$, 'an unknown error has none');

DELETE FROM app.error_similarity WHERE error_id IN (:'checkout', :'mini_cart');
SELECT is(app.error_similarity_fill(1), 1, 'groups without a document get theirs, a bounded number per call');
SELECT is(app.error_similarity_fill(), 1, '... until none is left');

-- 300 groups alike among themselves, unlike the cart's, whose documents sort between a RangeError and
-- a TypeError: the RangeError with the cart's frames is next to it only reversed
SELECT count(*) FROM app.capture_batch('00000000-0000-0000-0000-0000000000c1', NULL, (
  SELECT jsonb_agg(jsonb_build_object('error_type', 'javascript', 'message', 'SyntaxError: Unexpected token in feed ' || f.name,
                                      'stack_trace', format(E'SyntaxError\n    at load_%s (https://shop.test/static/feed.js:1:1)\n'
                                                            '    at boot (https://shop.test/static/boot.js:1:1)', f.name)))
    FROM (SELECT translate(md5(i::text), '0123456789', 'ghijklmnop') AS name FROM generate_series(1, 300) AS i) AS f));
SELECT count(pg_temp.capture('00000000-0000-0000-0000-0000000000c1',
                             'TypeError: Cannot read properties of undefined (reading ''total'')', f))
  FROM unnest(ARRAY['renderCheckout', 'renderMiniCart', 'renderCart']) AS f;
SELECT error_id AS big_cart FROM app.error_similarity
 WHERE organization_id = '00000000-0000-0000-0000-0000000000c1' AND document LIKE '%renderCart%' \gset
SELECT pg_temp.capture('00000000-0000-0000-0000-0000000000c1', 'RangeError: Invalid array length', 'renderCart') AS big_range \gset
SELECT ok(:'big_range' IN (SELECT id FROM app.related_errors(:'big_cart')),
  'among 300 groups that sort between them, a group with other words but the same frames is related (its document reversed)');
SELECT results_eq(format('SELECT id FROM app.related_errors(%L, 2)', :'big_cart'),
  format($$SELECT x.error_id FROM app.error_similarity x, app.error_similarity t
            WHERE t.error_id = %1$L AND x.organization_id = t.organization_id AND x.error_id <> %1$L
            ORDER BY similarity(x.document, t.document) DESC, x.error_id LIMIT 2$$, :'big_cart'),
  '... and the nearest are those a comparison with every group of the organization finds');

SET LOCAL ROLE org_owner;
SET LOCAL request.jwt.claims = '{"role": "org_owner", "org_id": "00000000-0000-0000-0000-0000000000a1"}';
SELECT results_eq(format('SELECT id, error_type::text, occurrence_count FROM api.related_errors(%L, 1)', :'cart'),
  format('VALUES (%L::uuid, %L, 1)', :'checkout', 'javascript'), 'api.related_errors lists them with their group''s fields');
SELECT throws_matching(format('SELECT * FROM api.related_errors(%L)', :'foreign_cart'), '"code" ?: ?"QN001"',
  '... and answers not found (404 QN001) for another organization''s error');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
