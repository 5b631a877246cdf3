"""Watching an episode needs no pygame: the kit draws CartPole's frame from its state, as gymnasium does."""

import math
import sys

import gymnasium as gym
import numpy as np
import pytest

from helpers.agents.envs import draw_cartpole, watch

POLE, WHITE, BLACK = (202, 152, 101), (255, 255, 255), (0, 0, 0)


def colour(image, x, y_up):
    """The pixel x from the left, y_up from the bottom (gymnasium's coordinates)."""
    return image.getpixel((round(x), round(image.height - 1 - y_up)))


def along_the_pole(x, theta, distance=100):
    """The point `distance` px up the pole from the axle (cart middle 100 px up, axle 7.5 above), 125 px a metre."""
    return 300 + 125 * x + distance * math.sin(theta), 107.5 + distance * math.cos(theta)


def test_the_pole_is_where_its_angle_says():
    upright, leaning = draw_cartpole((0, 0, 0, 0)), draw_cartpole((0, 0, 0.2, 0))
    assert upright.size == leaning.size == (600, 400)
    assert colour(upright, *along_the_pole(0, 0)) == POLE and colour(leaning, *along_the_pole(0, 0)) == WHITE
    assert colour(leaning, *along_the_pole(0, 0.2)) == POLE, "theta > 0 leans the pole right, as in gymnasium"
    assert colour(draw_cartpole((0, 0, -0.2, 0)), *along_the_pole(0, -0.2)) == POLE
    assert np.any(np.asarray(upright) != np.asarray(draw_cartpole((0, 0, 0.01, 0)))), "a small angle still shows"


def test_the_cart_moves_with_x_on_the_track():
    frame = draw_cartpole((1.0, 0, 0, 0))
    assert colour(frame, 300 + 125 + 20, 100 + 10) == BLACK and colour(frame, 300, 110) == WHITE
    assert colour(frame, *along_the_pole(1.0, 0)) == POLE
    assert colour(frame, 10, 100) == colour(frame, 590, 100) == BLACK, "the track's line, edge to edge"


def test_cartpole_is_watched_without_pygame(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygame", None)  # any `import pygame` now fails
    env, frame = watch("CartPole-v1")
    env.reset(seed=3)
    env.step(1)
    assert np.array_equal(np.asarray(frame()), np.asarray(draw_cartpole(env.unwrapped.state)))
    env.close()


def test_other_environments_say_how_to_get_pygame(monkeypatch):
    monkeypatch.setitem(sys.modules, "pygame", None)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "gymnasium\[classic-control\]"'):
        watch("Acrobot-v1")


def test_the_frames_match_gymnasiums_own_where_pygame_is_installed(monkeypatch):
    """With pygame (not in the kit's base; [dev] installs it, so this never skips) the two pictures agree but for
    the edges' anti-aliasing."""
    import pygame  # noqa: F401 - gymnasium's renderer needs it; a missing one is an error here, not a skip
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # off screen
    env = gym.make("CartPole-v1", render_mode="rgb_array")
    env.reset(seed=0)
    for state in ((0, 0, 0, 0), (1.0, 0, 0.2, 0), (-2.0, 0, -0.15, 0)):
        env.unwrapped.state = np.array(state)
        differ = np.any(env.render() != np.asarray(draw_cartpole(state)), axis=-1)
        assert differ.mean() < 0.002, (state, differ.sum())
    env.close()
