/**
 * react/jsx-runtime on top of React.createElement, for WordPress versions (before 6.6)
 * that do not ship the `react-jsx-runtime` script. Builds made with the automatic JSX
 * runtime import jsx/jsxs/Fragment from window.ReactJSXRuntime.
 */
(function (React) {
  'use strict';

  function withoutChildren(props, key) {
    var rest = {};
    var name;
    for (name in props) {
      if (Object.prototype.hasOwnProperty.call(props, name) && name !== 'children') {
        rest[name] = props[name];
      }
    }
    if (key !== undefined) {
      rest.key = key;
    }
    return rest;
  }

  // jsx(): `children` is one child (or absent).
  function jsx(type, props, key) {
    props = props || {};
    var rest = withoutChildren(props, key);
    return props.children === undefined
      ? React.createElement(type, rest)
      : React.createElement(type, rest, props.children);
  }

  // jsxs(): `children` is a static array, spread so React does not ask for keys.
  function jsxs(type, props, key) {
    props = props || {};
    var rest = withoutChildren(props, key);
    var children = Array.isArray(props.children) ? props.children : [props.children];
    return React.createElement.apply(null, [type, rest].concat(children));
  }

  window.ReactJSXRuntime = { jsx: jsx, jsxs: jsxs, Fragment: React.Fragment };
})(window.React);
