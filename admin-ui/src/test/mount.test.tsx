/**
 * Internal dependencies
 */
import { ROOT_ID, mountInto, mountWhenReady } from '../mount';
import type { Renderer } from '../mount';

function fakeRenderer(withCreateRoot: boolean) {
  const rootRender = jest.fn();
  const renderer: Renderer & { createRoot?: jest.Mock; render: jest.Mock } = {
    render: jest.fn(),
    createRoot: withCreateRoot ? jest.fn(() => ({ render: rootRender })) : undefined,
  };
  return { renderer, rootRender };
}

afterEach(() => {
  document.body.innerHTML = '';
});

describe('mountInto', () => {
  it('uses createRoot when the page has React 18', () => {
    const { renderer, rootRender } = fakeRenderer(true);
    const container = document.createElement('div');
    const app = <p>app</p>;

    expect(mountInto(app, container, renderer)).toBe('createRoot');
    expect(renderer.createRoot).toHaveBeenCalledWith(container);
    expect(rootRender).toHaveBeenCalledWith(app);
    expect(renderer.render).not.toHaveBeenCalled();
  });

  it('falls back to render on WordPress 6.1 (React 17)', () => {
    const { renderer } = fakeRenderer(false);
    const container = document.createElement('div');
    const app = <p>app</p>;

    expect(mountInto(app, container, renderer)).toBe('render');
    expect(renderer.render).toHaveBeenCalledWith(app, container);
  });
});

describe('mountWhenReady', () => {
  it('mounts into the root element the plugin prints', () => {
    document.body.innerHTML = `<div id="${ROOT_ID}"></div>`;
    const { renderer } = fakeRenderer(false);

    mountWhenReady(<p>app</p>, renderer);

    expect(renderer.render).toHaveBeenCalledWith(<p>app</p>, document.getElementById(ROOT_ID));
  });

  it('does nothing on a page without the root element', () => {
    const { renderer } = fakeRenderer(true);

    mountWhenReady(<p>app</p>, renderer);

    expect(renderer.createRoot).not.toHaveBeenCalled();
  });

  it('waits for the document when the script runs in the head', () => {
    const { renderer } = fakeRenderer(false);
    const listeners: Array<() => void> = [];
    const doc = {
      readyState: 'loading',
      getElementById: jest.fn(() => document.createElement('div')),
      addEventListener: jest.fn((_type: string, listener: () => void) => listeners.push(listener)),
    } as unknown as Document;

    mountWhenReady(<p>app</p>, renderer, doc);
    expect(renderer.render).not.toHaveBeenCalled();

    listeners.forEach((listener) => listener());
    expect(doc.addEventListener).toHaveBeenCalledWith('DOMContentLoaded', expect.any(Function), {
      once: true,
    });
    expect(renderer.render).toHaveBeenCalledTimes(1);
  });
});
